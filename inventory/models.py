"""The asset hierarchy: Datacenter -> Server -> Container -> (PortMapping, Service), and
Server -> GPU -> GPUAssignment. Environments tag servers.

Models stay declarative: rules with side effects live in ``inventory.services``, read
querysets in ``inventory.querysets``. Every invariant the API contract states is also a
database constraint.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from audit.history import history_records
from itam.persistence import FoldedKeyField, FoldedKeysMixin
from itam.text import refuse_control_characters

from . import querysets
from .choices import ContainerStatus, GPUStatus, Protocol, ReservationStatus, ServerStatus, ServiceStatus, ServiceType

asset_name_validator = RegexValidator(
    r"^[A-Za-z0-9._-]{1,64}$", "Use 1-64 characters: letters, digits, '.', '_' or '-'."
)
datacenter_name_validator = RegexValidator(
    r"^[\w.-]{1,64}$", "Use 1-64 characters: letters, digits, '.', '_' or '-'."
)
env_code_validator = RegexValidator(r"^[A-Za-z0-9_-]{1,16}$", "Use 1-16 letters, digits, '-' or '_'.")
color_validator = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a colour of the form #RRGGBB.")

PORT = [MinValueValidator(1), MaxValueValidator(65535)]

# An open GPU assignment's key is ``gpu_id * HOLDING_KEY_BASE + user_id`` (user ids stay
# below 2**32): one integer column per side lets plain foreign keys, which every database
# enforces, tie a GPU's holder to its open assignment in both directions.
HOLDING_KEY_BASE = 2 ** 32
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]

# A container's mappings are written as one cell of the workbook export; thousands of them
# would not fit in a cell (32,767 characters) nor make sense for one container.
MAX_PORT_MAPPINGS = 256


def validate_port_mapping_count(count):
    """The rule every path that sets a container's mappings (API, import, admin) applies."""
    if count > MAX_PORT_MAPPINGS:
        raise ValidationError(f"A container may have at most {MAX_PORT_MAPPINGS} port mappings.", code="max_length")


def _history():
    return history_records()


def _range(field, low, high, name):
    """Check constraint `low <= field <= high` (NULL passes, as SQL says)."""
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": low, f"{field}__lte": high}), name=name)


def _percent(model, *fields):
    return [_range(f, 0, 100, f"{model}_{f}_0_100") for f in fields]


def _one_of(model, field, choices):
    """Check constraint: ``field`` holds one of the ``choices`` values."""
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=f"{model}_{field}_valid")


def _sort_order_not_negative(model):
    return models.CheckConstraint(condition=Q(sort_order__gte=0), name=f"{model}_sort_order_gte_0")


def _usage(label):
    """A utilisation percentage (0-100, see ``_percent``), 0 until the first report."""
    return models.FloatField(label, default=0, validators=PERCENT, db_index=True)


def _sort_order():
    return models.PositiveIntegerField(default=0, db_index=True)


def _text_indexes(model, *fields):
    """Plain btree indexes on text columns that lists filter or sort on. ``db_index=True``
    on a CharField would add a ``varchar_pattern_ops`` twin on PostgreSQL for prefix LIKE,
    which no query here makes (searches and keyword filters are ``icontains``), yet every
    insert paid for it."""
    return [models.Index(fields=[field], name=f"{model}_{field}_idx") for field in fields]


def related_or_none(obj, field):
    """``obj.<field>``, or None when it is not set or no longer exists (a label drawn for an
    old version, e.g. on a revert page, whose parent was deleted since)."""
    try:
        return getattr(obj, field)
    except models.ObjectDoesNotExist:
        return None


def in_context(name, joiner, parent):
    """A label: ``name`` followed by its parent's label, when there is a parent."""
    return f"{name}{joiner}{parent.label}" if parent is not None else name


def server_label(name, datacenter_name):
    """``api-01 (AMS1)``: server names repeat across datacenters."""
    return f"{name} ({datacenter_name})"


def gpu_label(model, index, server_label=None):
    """``NVIDIA H100 #0 on web-01 (AMS1)`` (API.md §11.2 ``gpu_label``)."""
    return f"{model} #{index} on {server_label}" if server_label is not None else f"{model} #{index}"


def format_address(ip, port):
    """`ip:port`, IPv6 in brackets."""
    if ip is None or port is None:
        return None
    return f"[{ip}]:{port}" if ":" in str(ip) else f"{ip}:{port}"


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Datacenter(FoldedKeysMixin, TimestampedModel):
    name = models.CharField(max_length=64, validators=[datacenter_name_validator])
    name_key = FoldedKeyField("name", max_length=192, default="")  # casefolding can triple a text
    location = models.CharField(max_length=128, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    is_active = models.BooleanField(default=True, db_index=True)

    history = _history()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"], name="datacenter_name_ci_unique",
                violation_error_message="A datacenter with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name


class Environment(FoldedKeysMixin, TimestampedModel):
    name = models.CharField(max_length=32)
    name_key = FoldedKeyField("name", max_length=96, default="")
    code = models.CharField(max_length=16, validators=[env_code_validator])
    color = models.CharField(max_length=7, default="#909399", validators=[color_validator])
    sort_order = _sort_order()

    history = _history()

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name_key"], name="environment_name_ci_unique"),
            models.UniqueConstraint(Lower("code"), name="environment_code_ci_unique"),
            _sort_order_not_negative("environment"),
        ]

    def __str__(self):
        return self.name


class Server(TimestampedModel):
    name = models.CharField(max_length=64, validators=[asset_name_validator])
    datacenter = models.ForeignKey(Datacenter, on_delete=models.PROTECT, related_name="servers")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="servers")
    internal_ip = models.GenericIPAddressField("internal IP", db_index=True)
    external_ip = models.GenericIPAddressField("external IP", null=True, blank=True, db_index=True)
    cpu_cores = models.PositiveIntegerField(
        "CPU cores", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1024)]
    )
    memory_gb = models.PositiveIntegerField(
        "memory (GB)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65536)]
    )
    disk_gb = models.PositiveIntegerField(
        "disk (GB)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000000)]
    )
    os_type = models.CharField("OS type", max_length=64, null=True, blank=True)
    cpu_usage = _usage("CPU usage (%)")
    memory_usage = _usage("memory usage (%)")
    disk_usage = _usage("disk usage (%)")
    status = models.CharField(max_length=16, choices=ServerStatus.choices, default=ServerStatus.ONLINE)
    responsible_person = models.CharField(max_length=64, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    ssh_port = models.PositiveIntegerField("SSH port", default=22, validators=PORT)
    ssh_user = models.CharField("SSH user", max_length=32, default="root")

    objects = querysets.ServerQuerySet.as_manager()
    history = _history()

    class Meta:
        ordering = ["name", "id"]
        # The API lists newest first (created_at, then id): rows written in one batch share
        # created_at, and without id in the index the database sorts all of them for a page.
        indexes = [
            models.Index(fields=["created_at", "id"], name="server_created_id_idx"),
            *_text_indexes("server", "name", "status"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "datacenter", name="server_name_ci_unique_per_datacenter",
                violation_error_message="A server with this name already exists in this datacenter.",
            ),
            _range("ssh_port", 1, 65535, "server_ssh_port_range"),
            _range("cpu_cores", 1, 1024, "server_cpu_cores_range"),
            _range("memory_gb", 1, 65536, "server_memory_gb_range"),
            _range("disk_gb", 1, 1000000, "server_disk_gb_range"),
            *_percent("server", "cpu_usage", "memory_usage", "disk_usage"),
            _one_of("server", "status", ServerStatus),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """The server as the admin names it everywhere: ``api-01 (AMS1)`` (names repeat across
        datacenters). Read with ``ServerQuerySet.labelled()``."""
        datacenter = related_or_none(self, "datacenter")
        return server_label(self.name, datacenter.name) if datacenter is not None else self.name

    @property
    def ssh_command(self):
        if not self.internal_ip:  # an unsaved server (admin add page): no address to connect to
            return None
        return f"ssh -p {self.ssh_port} {self.ssh_user}@{self.internal_ip}"


class Container(TimestampedModel):
    name = models.CharField(max_length=64, validators=[asset_name_validator])
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="containers")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_containers")
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="used_containers"
    )
    purpose = models.CharField(max_length=200, null=True, blank=True)
    image = models.CharField(max_length=256, null=True, blank=True)
    container_id = models.CharField("container ID", max_length=64, null=True, blank=True)
    cpu_limit = models.FloatField(
        "CPU limit (cores)", null=True, blank=True, validators=[MinValueValidator(0.1), MaxValueValidator(1024)]
    )
    memory_limit_mb = models.PositiveIntegerField(
        "memory limit (MB)", null=True, blank=True, validators=[MinValueValidator(64), MaxValueValidator(1048576)]
    )
    cpu_usage = _usage("CPU usage (%)")
    memory_usage = _usage("memory usage (%)")
    status = models.CharField(max_length=16, choices=ContainerStatus.choices, default=ContainerStatus.RUNNING)
    description = models.TextField(null=True, blank=True)
    sort_order = _sort_order()

    objects = querysets.ContainerQuerySet.as_manager()
    history = _history()

    class Meta:
        ordering = ["sort_order", "id"]
        # The API lists newest first (created_at, then id): rows written in one batch share
        # created_at, and without id in the index the database sorts all of them for a page.
        indexes = [
            models.Index(fields=["created_at", "id"], name="container_created_id_idx"),
            *_text_indexes("container", "name", "status"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "server", name="container_name_ci_unique_per_server",
                violation_error_message="A container with this name already exists on this server.",
            ),
            _range("cpu_limit", 0.1, 1024, "container_cpu_limit_range"),
            _range("memory_limit_mb", 64, 1048576, "container_memory_limit_mb_range"),
            *_percent("container", "cpu_usage", "memory_usage"),
            _sort_order_not_negative("container"),
            _one_of("container", "status", ContainerStatus),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """``nginx-01 on api-01 (AMS1)``; read with ``ContainerQuerySet.labelled()``."""
        return in_context(self.name, " on ", related_or_none(self, "server"))


class PortMapping(models.Model):
    """Container port -> internal address -> optional external address."""

    # The values that make a mapping what it is (its writable fields, as the API and the
    # workbook write them); two mappings with the same values are the same mapping.
    value_fields = ("container_port", "internal_ip", "internal_port", "external_ip", "external_port", "protocol",
                    "description")

    container = models.ForeignKey(Container, on_delete=models.CASCADE, related_name="port_mappings")
    container_port = models.PositiveIntegerField(validators=PORT, db_index=True)
    internal_ip = models.GenericIPAddressField("internal IP", null=True, blank=True, db_index=True)
    internal_port = models.PositiveIntegerField(validators=PORT, db_index=True)
    external_ip = models.GenericIPAddressField("external IP", null=True, blank=True, db_index=True)
    external_port = models.PositiveIntegerField(null=True, blank=True, validators=PORT, db_index=True)
    protocol = models.CharField(max_length=3, choices=Protocol.choices, default=Protocol.TCP)
    description = models.CharField(max_length=128, null=True, blank=True)

    history = _history()

    class Meta:
        ordering = ["container_port", "id"]
        constraints = [
            _range("container_port", 1, 65535, "portmapping_container_port_range"),
            _range("internal_port", 1, 65535, "portmapping_internal_port_range"),
            _range("external_port", 1, 65535, "portmapping_external_port_range"),
            _one_of("portmapping", "protocol", Protocol),
            # One mapping per published address (API-NOTES "Port mappings"): a mapping
            # without external IP or port publishes none (NULLs never clash). The services
            # check it first, naming the container that holds the address.
            models.UniqueConstraint(
                fields=["external_ip", "external_port", "protocol"], name="portmapping_external_address_unique",
                violation_error_message="Another port mapping already uses this external address.",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """``nginx-01 on api-01 (AMS1): 8080 → 10.0.0.5:80``; read with ``select_related("container__server__datacenter")``."""
        container = related_or_none(self, "container")
        return f"{container.label}: {self.mapping_chain}" if container is not None else str(self.container_port)

    def get_constraints(self):
        # The external address is checked by the container service over a container's whole
        # set of mappings (one row cannot tell a clash with its siblings), naming the holder;
        # form validation would only repeat it with a vaguer message. The database enforces it.
        return [(model, [c for c in constraints if c.name != "portmapping_external_address_unique"])
                for model, constraints in super().get_constraints()]

    def clean(self):
        # One more mapping added on its own (the admin's port mapping page).
        if self.pk is None and self.container_id is not None:
            validate_port_mapping_count(PortMapping.objects.filter(container_id=self.container_id).count() + 1)

    def internal_address_for(self, server_ip):
        return format_address(self.internal_ip or server_ip, self.internal_port)

    @property
    def internal_address(self):
        return self.internal_address_for(self.container.server.internal_ip)

    @property
    def external_address(self):
        return format_address(self.external_ip, self.external_port)

    @property
    def external_key(self):
        """``(ip, port, protocol)`` of the published address, None when it publishes none."""
        if self.external_ip is None or self.external_port is None:
            return None
        return (self.external_ip, self.external_port, self.protocol)

    @property
    def mapping_chain(self):
        chain = f"{self.container_port} → {self.internal_address}"
        external = self.external_address
        return f"{chain} → {external}" if external else chain


class Service(TimestampedModel):
    name = models.CharField(max_length=64, validators=[asset_name_validator])
    container = models.ForeignKey(Container, on_delete=models.CASCADE, related_name="services")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_services")
    service_type = models.CharField(max_length=16, choices=ServiceType.choices, null=True, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True, validators=PORT, db_index=True)
    version = models.CharField(max_length=32, null=True, blank=True)
    status = models.CharField(max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.HEALTHY)
    health_check_url = models.CharField("health check URL", max_length=256, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    sort_order = _sort_order()

    objects = querysets.ServiceQuerySet.as_manager()
    history = _history()

    class Meta:
        ordering = ["sort_order", "id"]
        # The API lists newest first (created_at, then id): rows written in one batch share
        # created_at, and without id in the index the database sorts all of them for a page.
        indexes = [
            models.Index(fields=["created_at", "id"], name="service_created_id_idx"),
            *_text_indexes("service", "name", "service_type", "status"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "container", name="service_name_ci_unique_per_container",
                violation_error_message="A service with this name already exists in this container.",
            ),
            _range("port", 1, 65535, "service_port_range"),
            _sort_order_not_negative("service"),
            _one_of("service", "status", ServiceStatus),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """``web in nginx-01 on api-01 (AMS1)``; read with ``ServiceQuerySet.labelled()``."""
        return in_context(self.name, " in ", related_or_none(self, "container"))


class GPU(TimestampedModel):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="gpus")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="gpus"
    )
    model = models.CharField(max_length=64)
    memory_gb = models.PositiveIntegerField("memory (GB)", validators=[MinValueValidator(1), MaxValueValidator(1024)])
    index = models.PositiveSmallIntegerField(default=0, validators=[MinValueValidator(0), MaxValueValidator(15)])
    gpu_usage = _usage("GPU usage (%)")
    memory_usage = _usage("memory usage (%)")
    status = models.CharField(max_length=16, choices=GPUStatus.choices, default=GPUStatus.FREE)
    description = models.TextField(null=True, blank=True)
    sort_order = _sort_order()

    # The open assignment, by its key (see HOLDING_KEY_BASE): with the check below and the
    # assignment's own key and link back, the database keeps holder and open assignment in step.
    holding = models.OneToOneField(
        "GPUAssignment", to_field="open_key", db_column="holding_key", null=True, blank=True, editable=False,
        on_delete=models.DO_NOTHING, related_name="+",
    )

    objects = querysets.GPUQuerySet.as_manager()
    history = history_records(excluded_fields=["holding"])

    class Meta:
        verbose_name = "GPU"
        verbose_name_plural = "GPUs"
        ordering = ["server_id", "index", "id"]
        indexes = _text_indexes("gpu", "model", "status")
        constraints = [
            models.UniqueConstraint(
                "server", "index", name="gpu_index_unique_per_server",
                violation_error_message="This server already has a GPU with this index.",
            ),
            _range("index", 0, 15, "gpu_index_range"),
            _range("memory_gb", 1, 1024, "gpu_memory_gb_range"),
            *_percent("gpu", "gpu_usage", "memory_usage"),
            _sort_order_not_negative("gpu"),
            _one_of("gpu", "status", GPUStatus),
            # A GPU with an assignee is always in use.
            models.CheckConstraint(
                condition=Q(assigned_to__isnull=True) | Q(status=GPUStatus.IN_USE), name="gpu_assignee_in_use"
            ),
            # A holder comes with the key of this GPU's open assignment to that holder.
            models.CheckConstraint(
                condition=Q(assigned_to__isnull=True, holding__isnull=True) | Q(
                    assigned_to__isnull=False, holding__isnull=False,
                    holding_id=F("id") * HOLDING_KEY_BASE + F("assigned_to_id"),
                ),
                name="gpu_holder_has_open_assignment",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """``NVIDIA H100 #0 on web-01 (AMS1)``; read with ``GPUQuerySet.labelled()``.
        (``display_name`` is the API's and the audit log's shorter name.)"""
        server = related_or_none(self, "server")
        return gpu_label(self.model, self.index, server.label if server is not None else None)

    def clean(self):
        # gpu_assignee_in_use, for forms that do not edit assigned_to (Django then skips it).
        if self.assigned_to_id is not None and self.status != GPUStatus.IN_USE:
            raise ValidationError({"status": "This GPU is assigned to a user; release the GPU first."})

    @property
    def display_name(self):
        return f"{self.model} on {self.server.name}"

    @property
    def is_available(self):
        return self.status == GPUStatus.FREE and self.assigned_to_id is None


class GPUAssignment(models.Model):
    """One period during which a user held a GPU. Open while ``released_at`` is null."""

    gpu = models.ForeignKey(GPU, on_delete=models.CASCADE, related_name="assignments", verbose_name="GPU")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="gpu_assignments"
    )
    user_name = models.CharField(max_length=64)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_by_name = models.CharField(max_length=64)
    purpose = models.CharField(max_length=200, null=True, blank=True)
    assigned_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    release_reason = models.CharField(max_length=200, null=True, blank=True)
    # While open: the key of (GPU, user), and the GPU that holds that key (see GPU.holding).
    open_key = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    gpu_holding = models.OneToOneField(
        GPU, to_field="holding", db_column="gpu_holding_key", null=True, blank=True, editable=False,
        on_delete=models.DO_NOTHING, related_name="+",
    )

    history = history_records(excluded_fields=["open_key", "gpu_holding"])

    class Meta:
        verbose_name = "GPU assignment"
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "gpu", condition=Q(released_at__isnull=True), name="gpu_one_open_assignment",
                violation_error_message="This GPU already has an open assignment.",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=models.F("assigned_at")),
                name="gpuassignment_released_after_assigned",
            ),
            # Open: keyed by (GPU, user) and linked to the GPU holding that key, so the GPU's
            # holder is this user. Released: no key, no link.
            models.CheckConstraint(
                condition=Q(
                    released_at__isnull=True, user__isnull=False, open_key__isnull=False,
                    open_key=F("gpu_id") * HOLDING_KEY_BASE + F("user_id"), gpu_holding_id=F("open_key"),
                ) | Q(released_at__isnull=False, open_key__isnull=True, gpu_holding__isnull=True),
                name="gpuassignment_open_holds_gpu",
            ),
        ]

    def __str__(self):
        return f"{self.gpu.label}, held by {self.user_name}"

    @property
    def is_open(self):
        return self.released_at is None


class GpuReservation(TimestampedModel):
    """A user's booking of a GPU for ``[starts_at, ends_at)`` (API.md §11.2). Written only by
    ``inventory.services.reservations``; the jobs turn it into an assignment at its start."""

    gpu = models.ForeignKey(GPU, on_delete=models.CASCADE, related_name="reservations", verbose_name="GPU")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gpu_reservations")
    purpose = models.CharField(max_length=200, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.PENDING)
    status_reason = models.CharField(max_length=200, null=True, blank=True)

    history = history_records()

    class Meta:
        verbose_name = "GPU reservation"
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["gpu", "starts_at"], name="gpureservation_gpu_starts"),
            models.Index(fields=["status", "starts_at"], name="gpureservation_status_starts"),
            models.Index(fields=["status", "ends_at"], name="gpureservation_status_ends"),
            models.Index(fields=["user", "starts_at"], name="gpureservation_user_starts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="gpureservation_starts_before_ends"),
            _one_of("gpureservation", "status", ReservationStatus),
        ]

    def __str__(self):
        return f"Reservation {self.pk} of {self.gpu_label}"

    @property
    def gpu_label(self):
        # Also rendered from the compiled read layer's row objects (the columns its API field
        # declares), which carry columns, not model properties.
        gpu, server = self.gpu, self.gpu.server
        return gpu_label(gpu.model, gpu.index, server_label(server.name, server.datacenter.name))


class ReminderSent(models.Model):
    """A notification that went out, by its key (``expiry:<assignment>:<expires_at>``): the
    unique key makes a reminder go once, however many workers look for due ones."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "reminder sent"


refuse_control_characters(
    Datacenter, Environment, Server, Container, PortMapping, Service, GPU, GPUAssignment, GpuReservation
)
