"""Initial data (default environments, the admin account) and the demo fleet.

The demo fleet is generated from a seed, so a seed always gives the same names, addresses,
images and assignments, and is written with bulk inserts that keep the history and the
audit trail (``audit.bulk``): tens of thousands of rows take seconds, not minutes.
"""
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.choices import Role
from accounts.models import User
from audit.bulk import bulk_create_with_audit
from audit.context import SYSTEM_USERNAME

from ..choices import (
    DEFAULT_ENVIRONMENTS,
    ContainerStatus,
    GPUStatus,
    Protocol,
    ReleaseReason,
    ServerStatus,
    ServiceStatus,
    ServiceType,
)
from ..models import GPU, Container, Datacenter, Environment, PortMapping, Server, Service
from . import gpu_assignment
from .containers import MappingReplacements

# --- initial data -------------------------------------------------------------------------


def ensure_default_environments():
    """The four environments of a fresh installation (API.md §3.4), only while there are
    none: environments an operator renamed or deleted stay that way. Returns how many were
    created."""
    if Environment.objects.exists():
        return 0
    bulk_create_with_audit(Environment, [
        Environment(name=name, code=code, color=color, sort_order=order)
        for name, code, color, order in DEFAULT_ENVIRONMENTS
    ])
    return len(DEFAULT_ENVIRONMENTS)


def ensure_admin_account(username, password):
    """Create the admin account unless a user of that name exists (its password is never
    reset). Returns the new user, or None when it already existed. In production the
    password must pass the password validators."""
    if User.objects.filter(username__iexact=username).exists():
        return None
    if settings.IS_PRODUCTION:
        validate_password(password, User(username=username, display_name="Administrator"))
    return User.objects.create_user(username=username, password=password, display_name="Administrator", role=Role.ADMIN)


# --- the demo fleet -----------------------------------------------------------------------


@dataclass(frozen=True)
class FleetSize:
    datacenters: int = 3
    servers: int = 30
    containers_per_server: int = 3
    services_per_container: int = 2
    gpus_per_server: int = 1

    # Limits that keep generated names, addresses (10.<site>.<0-249>.<1-250>) and ports
    # valid and unique.
    LIMITS = {
        "datacenters": 250, "servers": 250 * 250, "containers_per_server": 500,
        "services_per_container": 100, "gpus_per_server": 16,
    }

    def problems(self):
        """Human-readable reasons this size cannot be generated (empty when fine)."""
        found = [
            f"--{name.replace('_', '-')} must be between 0 and {limit}."
            for name, limit in self.LIMITS.items()
            if not 0 <= getattr(self, name) <= limit
        ]
        if self.servers and not self.datacenters:
            found.append("Servers need at least one datacenter.")
        return found


SMALL_FLEET = FleetSize()

DEMO_PASSWORD = "demo-pass-123"
DEMO_USERS = (
    ("alice", "Alice Chen"), ("bob", "Bob Martin"), ("carol", "Carol Díaz"), ("dave", "Dave Okafor"),
    ("erin", "Erin Walsh"), ("frank", "Frank Müller"), ("grace", "Grace Kim"), ("heidi", "Heidi Larsen"),
)
SITES = (
    ("FRA1", "Frankfurt, DE"), ("AMS1", "Amsterdam, NL"), ("LON1", "London, UK"), ("PAR1", "Paris, FR"),
    ("NYC1", "New York, US"), ("SFO1", "San Francisco, US"), ("SIN1", "Singapore, SG"), ("TYO1", "Tokyo, JP"),
    ("SYD1", "Sydney, AU"), ("GRU1", "São Paulo, BR"),
)
SERVER_ROLES = ("web", "api", "db", "cache", "mq", "gpu", "batch", "k8s-node", "mon", "proxy")
OS_TYPES = ("Ubuntu 22.04", "Ubuntu 24.04", "Debian 12", "Rocky Linux 9", "RHEL 9")
ENVIRONMENT_WEIGHTS = {"prod": 4, "staging": 2, "test": 2, "dev": 2}
# External addresses come from the documentation ranges (RFC 5737).
EXTERNAL_IPS = [f"{net}.{host}" for net in ("203.0.113", "198.51.100", "192.0.2") for host in range(1, 255)]


@dataclass(frozen=True)
class Template:
    """A kind of container: name prefix, image, its service type and two ports."""

    prefix: str
    image: str
    service_type: str
    port: int
    side_port: int
    side_name: str
    protocol: str = Protocol.TCP

    @property
    def version(self):
        return self.image.rsplit(":", 1)[-1][:32]


TEMPLATES = (
    Template("nginx", "nginx:1.27", ServiceType.WEB, 80, 9113, "metrics"),
    Template("api", "ghcr.io/acme/orders-api:2.4.1", ServiceType.API, 8080, 9090, "metrics"),
    Template("postgres", "postgres:16", ServiceType.DATABASE, 5432, 9187, "exporter"),
    Template("redis", "redis:7", ServiceType.CACHE, 6379, 9121, "exporter"),
    Template("rabbitmq", "rabbitmq:3.13-management", ServiceType.QUEUE, 5672, 15672, "management"),
    Template("prometheus", "prom/prometheus:v2.54.1", ServiceType.MONITOR, 9090, 22, "ssh"),
    Template("grafana", "grafana/grafana:11.2.0", ServiceType.MONITOR, 3000, 22, "ssh"),
    Template("haproxy", "haproxy:3.0", ServiceType.PROXY, 443, 8404, "stats"),
    Template("jupyter", "quay.io/jupyter/pytorch-notebook:2024-10-07", ServiceType.OTHER, 8888, 22, "ssh"),
    Template("coredns", "coredns/coredns:1.11.3", ServiceType.OTHER, 53, 9153, "metrics", Protocol.UDP),
)
SERVICE_NAMES = {
    ServiceType.WEB: ("storefront", "landing", "docs", "status-page"),
    ServiceType.API: ("orders-api", "users-api", "payments-api", "search-api"),
    ServiceType.DATABASE: ("primary", "replica", "analytics"),
    ServiceType.CACHE: ("sessions", "page-cache", "rate-limits"),
    ServiceType.QUEUE: ("events", "emails", "jobs"),
    ServiceType.MONITOR: ("metrics", "alerts", "dashboards"),
    ServiceType.PROXY: ("ingress", "edge", "internal-lb"),
    ServiceType.OTHER: ("worker", "notebook", "cron"),
}
GPU_MODELS = (("NVIDIA A100", 80), ("NVIDIA H100", 80), ("NVIDIA L40S", 48), ("NVIDIA RTX 4090", 24))
GPU_PURPOSES = ("LLM fine-tuning", "vision model training", "inference benchmarks", "notebook experiments", "CI GPU tests")


def _weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _usage(rng, low=0, high=95):
    return round(rng.uniform(low, high), 1)


class FleetBuilder:
    """Builds the unsaved objects of one demo fleet; ``rng`` makes it repeatable."""

    def __init__(self, size, seed, now):
        self.size = size
        self.rng = random.Random(seed)
        self.now = now

    def datacenters(self, taken):
        """``size.datacenters`` sites, skipping names already in use (``taken``, lower case)."""
        found, number = [], 1
        while len(found) < self.size.datacenters:
            for code, location in SITES:
                name = f"{code[:3]}{number}"
                if name.lower() not in taken and len(found) < self.size.datacenters:
                    found.append(Datacenter(name=name, location=location, description=f"{location} colocation"))
            number += 1
        return found

    def servers(self, datacenters, environments, people, taken_ips=frozenset()):
        """Servers spread over ``datacenters``; a public one gets an external IP not in
        ``taken_ips`` (its containers publish ports on it: an address is never used twice)."""
        rng, weights = self.rng, {env: ENVIRONMENT_WEIGHTS.get(env.code, 1) for env in environments}
        counters, servers, external = {}, [], (ip for ip in EXTERNAL_IPS if ip not in taken_ips)
        for i in range(self.size.servers):
            site = i % len(datacenters)
            role = rng.choice(SERVER_ROLES)
            number = counters[site, role] = counters.get((site, role), 0) + 1
            host = i // len(datacenters)
            public = role in ("web", "proxy", "api") and rng.random() < 0.6
            servers.append(Server(
                name=f"{role}-{number:02d}", datacenter=datacenters[site], environment=_weighted(rng, weights),
                internal_ip=f"10.{site}.{host // 250}.{host % 250 + 1}",
                external_ip=next(external, None) if public else None,
                cpu_cores=rng.choice((8, 16, 32, 64, 128)), memory_gb=rng.choice((32, 64, 128, 256, 512)),
                disk_gb=rng.choice((500, 1000, 2000, 4000)), os_type=rng.choice(OS_TYPES),
                cpu_usage=_usage(rng), memory_usage=_usage(rng), disk_usage=_usage(rng, 5, 90),
                status=_weighted(rng, {ServerStatus.ONLINE: 85, ServerStatus.MAINTENANCE: 10, ServerStatus.OFFLINE: 5}),
                responsible_person=rng.choice(people).display_name,
                description=f"{role} node in {datacenters[site].location}",
            ))
        return servers

    def containers(self, server, people):
        """A server's containers, each with its two port mappings (in ``_mappings``)."""
        rng, counters, containers = self.rng, {}, []
        for k in range(self.size.containers_per_server):
            template = rng.choice(TEMPLATES)
            number = counters[template.prefix] = counters.get(template.prefix, 0) + 1
            container = Container(
                name=f"{template.prefix}-{number:02d}", server=server, owner=rng.choice(people),
                assigned_user=rng.choice(people) if rng.random() < 0.5 else None,
                purpose=f"{template.prefix} for {server.name}", image=template.image,
                container_id=f"{rng.getrandbits(48):012x}", cpu_limit=rng.choice((0.5, 1.0, 2.0, 4.0, 8.0)),
                memory_limit_mb=rng.choice((256, 512, 1024, 2048, 4096, 8192)),
                cpu_usage=_usage(rng), memory_usage=_usage(rng),
                status=_weighted(rng, {ContainerStatus.RUNNING: 85, ContainerStatus.STOPPED: 10, ContainerStatus.ERROR: 5}),
                sort_order=k,
            )
            container.template = template
            published = server.external_ip and rng.random() < 0.5
            container._mappings = [
                PortMapping(
                    container=container, container_port=template.port, internal_port=20000 + 2 * k,
                    external_ip=server.external_ip if published else None,
                    external_port=30000 + k if published else None,
                    protocol=template.protocol, description=template.service_type,
                ),
                PortMapping(
                    container=container, container_port=template.side_port, internal_port=20001 + 2 * k,
                    description=template.side_name,
                ),
            ]
            containers.append(container)
        return containers

    def services(self, container):
        rng, template = self.rng, container.template
        names = SERVICE_NAMES[template.service_type]
        services = []
        for j in range(self.size.services_per_container):
            name = names[j % len(names)] + (f"-{j // len(names) + 1}" if j >= len(names) else "")
            health = template.service_type in (ServiceType.WEB, ServiceType.API)
            services.append(Service(
                name=name, container=container, owner=container.owner, service_type=template.service_type,
                port=template.port + j if template.port + j <= 65535 else None, version=template.version,
                status=_weighted(rng, {ServiceStatus.HEALTHY: 88, ServiceStatus.UNHEALTHY: 7, ServiceStatus.STOPPED: 5}),
                health_check_url=f"http://{container.server.internal_ip}:{20000 + 2 * container.sort_order}/healthz"
                if health else None,
                sort_order=j,
            ))
        return services

    def gpus(self, server, people):
        """A server's GPUs (one model per server); about a third are held by someone.
        Each GPU carries its assignment history in ``_assignments``."""
        rng = self.rng
        model, memory = rng.choice(GPU_MODELS)
        gpus = []
        for index in range(self.size.gpus_per_server):
            gpu = GPU(
                server=server, model=model, memory_gb=memory, index=index, sort_order=index,
                gpu_usage=0.0, memory_usage=0.0,
                status=GPUStatus.ERROR if rng.random() < 0.03 else GPUStatus.FREE,
            )
            gpu._assignments = self._past_assignments(gpu, people)
            if gpu.status == GPUStatus.FREE and rng.random() < 0.35:
                holder = rng.choice(people)
                gpu_assignment.set_holder(gpu, holder)
                gpu.gpu_usage, gpu.memory_usage = _usage(rng, 20, 100), _usage(rng, 20, 100)
                assigned_at = self.now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
                gpu._assignments.append(self._assignment(
                    gpu, holder, assigned_at,
                    expires_at=self.now + timedelta(days=rng.randint(1, 30)) if rng.random() < 0.6 else None,
                ))
            gpus.append(gpu)
        return gpus

    def _past_assignments(self, gpu, people):
        rng, found = self.rng, []
        start = self.now - timedelta(days=rng.randint(60, 120))
        for _ in range(rng.choice((0, 0, 1, 2))):
            held = timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 23))
            reason = rng.choice((ReleaseReason.MANUAL, ReleaseReason.EXPIRED))
            found.append(self._assignment(
                gpu, rng.choice(people), start, released_at=start + held, release_reason=reason,
                expires_at=start + held if reason == ReleaseReason.EXPIRED else None,
            ))
            start += held + timedelta(days=rng.randint(1, 10))
        return found

    def _assignment(self, gpu, user, assigned_at, released_at=None, **fields):
        purpose = self.rng.choice(GPU_PURPOSES)
        if released_at is None:
            return gpu_assignment.new_assignment(gpu, user, by=None, by_name=SYSTEM_USERNAME, purpose=purpose,
                                                 assigned_at=assigned_at, **fields)
        return gpu_assignment.past_assignment(gpu, user, by_name=SYSTEM_USERNAME, purpose=purpose,
                                              assigned_at=assigned_at, released_at=released_at, **fields)


def demo_users():
    """The demo accounts, created when missing; ordered by username so a seed always picks
    the same people. They share one password (``DEMO_PASSWORD``, unusable in production),
    hashed once."""
    usernames = [username for username, _ in DEMO_USERS]
    existing = {u.username.lower(): u for u in User.objects.annotate(key=Lower("username")).filter(key__in=usernames)}
    missing = [(u, name) for u, name in DEMO_USERS if u not in existing]
    if missing:
        password = make_password(None if settings.IS_PRODUCTION else DEMO_PASSWORD)
        bulk_create_with_audit(User, [
            User(username=u, display_name=name, email=f"{u}@example.com", password=password, role=Role.USER)
            for u, name in missing
        ])
    return list(User.objects.annotate(key=Lower("username")).filter(key__in=usernames).order_by("key"))


@transaction.atomic
def seed_fleet(size=SMALL_FLEET, seed=0, now=None):
    """Add a demo fleet of ``size`` generated from ``seed``; returns the rows created per kind.

    The caller sets the change context (``audit.context.system_context()`` for commands).
    """
    ensure_default_environments()
    people = demo_users()
    environments = list(Environment.objects.order_by("sort_order", "id"))
    builder = FleetBuilder(size, seed, now or timezone.now())
    taken = set(Datacenter.objects.annotate(key=Lower("name")).values_list("key", flat=True))
    datacenters = bulk_create_with_audit(Datacenter, builder.datacenters(taken))
    taken_ips = {*Server.objects.values_list("external_ip", flat=True),
                 *PortMapping.objects.values_list("external_ip", flat=True)}
    servers = bulk_create_with_audit(
        Server, builder.servers(datacenters, environments, people, taken_ips)) if datacenters else []

    containers = [c for server in servers for c in builder.containers(server, people)]
    new_mappings = MappingReplacements()  # each container's entry lists its mappings, as an API create's does
    for container in containers:
        new_mappings.add(container, None, container._mappings)
    with new_mappings.recorded():
        containers = bulk_create_with_audit(Container, containers)
    mappings = new_mappings.write()
    services = bulk_create_with_audit(Service, [s for c in containers for s in builder.services(c)])
    gpus = [g for server in servers for g in builder.gpus(server, people)]
    assignments = [a for g in gpus for a in g._assignments]
    gpu_assignment.prepare_holders(gpus, [a for a in assignments if a.released_at is None])
    gpus = bulk_create_with_audit(GPU, gpus)
    assignments = gpu_assignment.write_assignment_history(assignments)
    return {
        "datacenters": len(datacenters), "servers": len(servers), "containers": len(containers),
        "port mappings": len(mappings), "services": len(services), "GPUs": len(gpus),
        "GPU assignments": len(assignments),
    }
