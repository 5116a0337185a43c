"""Every database constraint rejects a bad row written past all Python validation (plain
``update()`` / ``create()``), on SQLite and on PostgreSQL alike."""
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User, UserPreference
from inventory.models import GPU, Container, Datacenter, Environment, Server, Service
from inventory.services import gpu_assignment
from tests.factories import (
    ContainerFactory,
    EnvironmentFactory,
    GPUAssignmentFactory,
    GPUFactory,
    GpuReservationFactory,
    PortMappingFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    """One valid row of every kind, linked together."""
    service = ServiceFactory(container=ContainerFactory(name="web"))
    container = service.container
    gpu = GPUFactory(server=container.server, index=0)
    return {
        "datacenter": container.server.datacenter,
        "environment": container.server.environment,
        "server": container.server,
        "container": container,
        "mapping": PortMappingFactory(container=container),
        "service": service,
        "gpu": gpu,
        "assignment": GPUAssignmentFactory(
            gpu=gpu, user=service.owner, assigned_at=timezone.now() - timedelta(days=1), released_at=timezone.now()
        ),
        "user": service.owner,
        "preference": UserPreference.objects.create(user=service.owner),
        "reservation": GpuReservationFactory(gpu=gpu, user=service.owner),
    }


def update(key, **values):
    def violate(rows):
        obj = rows[key]
        type(obj).objects.filter(pk=obj.pk).update(**values)

    return violate


def range_cases(key, field, too_low, too_high, name):
    return [(name, update(key, **{field: too_low})), (name, update(key, **{field: too_high}))]


# (constraint name, how to violate it). Case variants prove uniqueness ignores case.
CASES = [
    ("datacenter_name_ci_unique", lambda r: Datacenter.objects.create(name=r["datacenter"].name.swapcase())),
    ("environment_name_ci_unique", lambda r: Environment.objects.create(name="PRODUCTION", code="p2")),
    ("environment_code_ci_unique", lambda r: Environment.objects.create(name="Prod 2", code="PROD")),
    ("environment_sort_order_gte_0", update("environment", sort_order=-1)),
    (
        "server_name_ci_unique_per_datacenter",
        lambda r: Server.objects.create(
            name=r["server"].name.upper(), datacenter=r["datacenter"], environment=r["environment"], internal_ip="10.9.9.9"
        ),
    ),
    *range_cases("server", "ssh_port", 0, 65536, "server_ssh_port_range"),
    *range_cases("server", "cpu_cores", 0, 1025, "server_cpu_cores_range"),
    *range_cases("server", "memory_gb", 0, 65537, "server_memory_gb_range"),
    *range_cases("server", "disk_gb", 0, 1000001, "server_disk_gb_range"),
    *range_cases("server", "cpu_usage", -0.1, 100.1, "server_cpu_usage_0_100"),
    *range_cases("server", "memory_usage", -1, 101, "server_memory_usage_0_100"),
    *range_cases("server", "disk_usage", -1, 101, "server_disk_usage_0_100"),
    ("server_status_valid", update("server", status="broken")),
    (
        "container_name_ci_unique_per_server",
        lambda r: Container.objects.create(name="WEB", server=r["server"], owner=r["user"]),
    ),
    *range_cases("container", "cpu_limit", 0.09, 1024.5, "container_cpu_limit_range"),
    *range_cases("container", "memory_limit_mb", 63, 1048577, "container_memory_limit_mb_range"),
    *range_cases("container", "cpu_usage", -1, 101, "container_cpu_usage_0_100"),
    *range_cases("container", "memory_usage", -1, 101, "container_memory_usage_0_100"),
    ("container_sort_order_gte_0", update("container", sort_order=-1)),
    ("container_status_valid", update("container", status="paused")),
    *range_cases("mapping", "container_port", 0, 65536, "portmapping_container_port_range"),
    *range_cases("mapping", "internal_port", 0, 65536, "portmapping_internal_port_range"),
    *range_cases("mapping", "external_port", 0, 65536, "portmapping_external_port_range"),
    ("portmapping_protocol_valid", update("mapping", protocol="sct")),
    (
        "portmapping_external_address_unique",
        lambda r: [PortMappingFactory(container=r["container"], external_ip="203.0.113.10", external_port=8080)
                   for _ in range(2)],
    ),
    (
        "service_name_ci_unique_per_container",
        lambda r: Service.objects.create(name=r["service"].name.upper(), container=r["container"], owner=r["user"]),
    ),
    *range_cases("service", "port", 0, 65536, "service_port_range"),
    ("service_sort_order_gte_0", update("service", sort_order=-1)),
    ("service_status_valid", update("service", status="degraded")),
    (
        "gpu_index_unique_per_server",
        lambda r: GPU.objects.create(server=r["server"], model="NVIDIA L40S", memory_gb=48, index=0),
    ),
    ("gpu_index_range", update("gpu", index=16)),
    *range_cases("gpu", "memory_gb", 0, 1025, "gpu_memory_gb_range"),
    *range_cases("gpu", "gpu_usage", -1, 101, "gpu_gpu_usage_0_100"),
    *range_cases("gpu", "memory_usage", -1, 101, "gpu_memory_usage_0_100"),
    ("gpu_sort_order_gte_0", update("gpu", sort_order=-1)),
    ("gpu_status_valid", update("gpu", status="busy")),
    ("gpu_assignee_in_use", lambda r: update("gpu", assigned_to=r["user"], status="free")(r)),
    (
        "gpu_one_open_assignment",
        lambda r: [GPUAssignmentFactory(gpu=r["gpu"], user=r["user"]),
                   gpu_assignment.new_assignment(r["gpu"], UserFactory(), by=None, assigned_at=timezone.now()).save()],
    ),
    # The GPU's holder and its open assignment agree (see also test_gpu_holder_constraint).
    ("gpu_holder_has_open_assignment", update("gpu", assigned_to_id=None, status="in_use", holding_id=7)),
    ("gpu_holder_has_open_assignment", lambda r: update("gpu", assigned_to=r["user"], status="in_use")(r)),
    ("gpuassignment_open_holds_gpu", update("assignment", released_at=None)),
    ("gpuassignment_open_holds_gpu", lambda r: update("assignment", open_key=r["gpu"].pk * 2 ** 32 + r["user"].pk)(r)),
    (
        "gpuassignment_released_after_assigned",
        lambda r: update("assignment", released_at=r["assignment"].assigned_at - timedelta(seconds=1))(r),
    ),
    ("gpureservation_status_valid", update("reservation", status="booked")),
    ("gpureservation_starts_before_ends", lambda r: update("reservation", ends_at=r["reservation"].starts_at)(r)),
    ("user_email_ci_unique", lambda r: UserFactory(email=r["user"].email.upper())),
    ("user_username_ci_unique", lambda r: UserFactory(username=r["user"].username.upper(), email=None)),
    ("user_role_valid", update("user", role="root")),
    *range_cases("preference", "panel_width", 159, 801, "pref_panel_width_range"),
]

# Unique constraints over plain columns are reported by SQLite with their columns, not
# their name; PositiveIntegerField adds its own `>= 0` check that may fire first.
ALSO_REPORTED_AS = {
    "gpu_index_unique_per_server": r"inventory_gpu\.server_id, inventory_gpu\.index",
    "gpu_one_open_assignment": r"inventory_gpuassignment\.gpu_id",
    "portmapping_external_address_unique": r"inventory_portmapping\.external_ip",
    "datacenter_name_ci_unique": r"inventory_datacenter\.name_key",
    "environment_name_ci_unique": r"inventory_environment\.name_key",
    "environment_sort_order_gte_0": r"sort_order",
    "container_sort_order_gte_0": r"sort_order",
    "service_sort_order_gte_0": r"sort_order",
    "gpu_sort_order_gte_0": r"sort_order",
}


def test_every_constraint_has_a_case():
    declared = {
        constraint.name
        for app in ("accounts", "inventory")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }
    assert declared == {name for name, _ in CASES}


@pytest.mark.parametrize(("name", "violate"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_constraint_rejects_bad_rows(rows, name, violate):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        violate(rows)
    pattern = re.escape(name) + (f"|{ALSO_REPORTED_AS[name]}" if name in ALSO_REPORTED_AS else "")
    assert re.search(pattern, str(error.value)), str(error.value)


def test_rows_at_the_limits_are_accepted(rows):
    update("server", ssh_port=65535, cpu_cores=1024, memory_gb=65536, disk_gb=1000000, cpu_usage=100, disk_usage=0)(rows)
    update("container", cpu_limit=0.1, memory_limit_mb=1048576)(rows)
    update("gpu", index=15, memory_gb=1024)(rows)
    update("preference", panel_width=800)(rows)
    update("server", cpu_cores=None, memory_gb=None, disk_gb=None)(rows)  # NULL passes a range check
    Datacenter.objects.create(name=rows["datacenter"].name + "-2")
    EnvironmentFactory(code="staging", name="Staging")
    User.objects.create(username="nomail1", display_name="No mail 1", email=None)
    User.objects.create(username="nomail2", display_name="No mail 2", email=None)  # NULL e-mails never clash
    GPUAssignmentFactory(gpu=rows["gpu"], user=rows["user"])  # one open next to a released one
    assert Server.objects.get().ssh_port == 65535
