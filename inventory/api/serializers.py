"""Serializers of the inventory resources (API.md §3.3-§3.8).

Each one lists exactly the contract's fields. Reads are meant to start from the queryset
methods of ``inventory.querysets`` (counts as annotations, related rows selected or
prefetched); on a bare instance (audit snapshots) counts and open assignments fall back to
a query so the representation is the same.
"""
from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itam.api import fields
from itam.api.compiled import reads
from itam.api.serializers import ModelSerializer, WholeListSerializer

from ..choices import Protocol
from ..models import GPU, Container, Datacenter, Environment, PortMapping, Server, Service, validate_port_mapping_count
from ..services.gpu_assignment import check_status_change

User = get_user_model()


@extend_schema_field(OpenApiTypes.INT)
class CountField(serializers.ReadOnlyField):
    """A count the list queryset annotates; a bare instance counts ``relation`` instead."""

    def __init__(self, relation, **kwargs):
        self.relation = relation
        super().__init__(source="*", **kwargs)

    def to_representation(self, instance):
        value = instance.__dict__.get(self.field_name)
        return getattr(instance, self.relation).count() if value is None else value


def related_name_field(source):
    """The display name of a related object, ``null`` when there is none."""
    return fields.CharField(source=source, read_only=True, allow_null=True)


class DatacenterSerializer(ModelSerializer):
    server_count = CountField("servers")

    class Meta:
        model = Datacenter
        fields = ["id", "name", "location", "description", "is_active", "created_at", "server_count"]

    def get_fields(self):
        declared = super().get_fields()
        # The list shows server_count only with include_stats=true (the view says so).
        if self.context.get("with_server_count") is False:
            declared.pop("server_count")
        return declared


class DatacenterListItemSerializer(DatacenterSerializer):
    """Schema only: a list item, whose server_count is present only with include_stats=true
    (a read-only field would be documented as always present)."""

    server_count = serializers.IntegerField(required=False, help_text="Only with include_stats=true.")


class EnvironmentSerializer(ModelSerializer):
    server_count = CountField("servers")

    class Meta:
        model = Environment
        fields = ["id", "name", "code", "color", "sort_order", "server_count"]


class ServerSerializer(ModelSerializer):
    datacenter_id = fields.RelatedIdField(source="datacenter", queryset=Datacenter.objects.all())
    datacenter_name = related_name_field("datacenter.name")
    environment_id = fields.RelatedIdField(source="environment", queryset=Environment.objects.all())
    environment_name = related_name_field("environment.name")
    environment_color = related_name_field("environment.color")
    # Blank or null means the default user (API.md §3.5).
    ssh_user = fields.CharField(max_length=32, required=False, allow_null=True)
    ssh_command = fields.CharField(read_only=True)
    container_count = CountField("containers")
    gpu_count = CountField("gpus")

    class Meta:
        model = Server
        fields = [
            "id", "name", "datacenter_id", "datacenter_name", "environment_id", "environment_name",
            "environment_color", "internal_ip", "external_ip", "cpu_cores", "memory_gb", "disk_gb",
            "os_type", "cpu_usage", "memory_usage", "disk_usage", "status", "responsible_person",
            "description", "ssh_port", "ssh_user", "ssh_command", "container_count", "gpu_count",
            "created_at", "updated_at",
        ]

    def validate_ssh_user(self, value):
        return value or "root"


class PortMappingSerializer(ModelSerializer):
    container_id = fields.IntegerField(read_only=True)
    protocol = fields.CaseInsensitiveChoiceField(choices=Protocol.choices, required=False)
    # The addresses fall back to the server's internal IP (what compiled reads fetch with the row).
    internal_address = reads(fields.CharField(read_only=True), "container__server__internal_ip")
    external_address = fields.CharField(read_only=True, allow_null=True)
    mapping_chain = reads(fields.CharField(read_only=True), "container__server__internal_ip")

    class Meta:
        model = PortMapping
        fields = [
            "id", "container_id", "container_port", "internal_ip", "internal_port", "external_ip",
            "external_port", "protocol", "description", "internal_address", "external_address",
            "mapping_chain",
        ]
        list_serializer_class = WholeListSerializer


class ServiceSerializer(ModelSerializer):
    container_id = fields.RelatedIdField(source="container", queryset=Container.objects.all())
    container_name = related_name_field("container.name")
    owner_id = fields.IntegerField(read_only=True)
    owner_name = related_name_field("owner.display_name")

    class Meta:
        model = Service
        fields = [
            "id", "name", "container_id", "container_name", "owner_id", "owner_name", "service_type",
            "port", "version", "status", "health_check_url", "description", "sort_order",
            "created_at", "updated_at",
        ]
        read_only_fields = ["sort_order"]


class ContainerSerializer(ModelSerializer):
    """A container with its port mappings; ``port_mappings`` is writable as a whole (§3.6,
    written by ``inventory.services.containers``)."""

    server_id = fields.RelatedIdField(source="server", queryset=Server.objects.all())
    server_name = related_name_field("server.name")
    owner_id = fields.IntegerField(read_only=True)
    owner_name = related_name_field("owner.display_name")
    assigned_user_id = fields.RelatedIdField(
        source="assigned_user", queryset=User.objects.all(), required=False, allow_null=True
    )
    assigned_user_name = related_name_field("assigned_user.display_name")
    service_count = CountField("services")
    port_mappings = PortMappingSerializer(many=True, required=False, allow_null=True)

    class Meta:
        model = Container
        fields = [
            "id", "name", "server_id", "server_name", "owner_id", "owner_name", "assigned_user_id",
            "assigned_user_name", "purpose", "image", "container_id", "cpu_limit", "memory_limit_mb",
            "cpu_usage", "memory_usage", "status", "description", "sort_order", "service_count",
            "port_mappings", "created_at", "updated_at",
        ]
        read_only_fields = ["sort_order"]

    def validate_port_mappings(self, mappings):
        validate_port_mapping_count(len(mappings or ()))
        return mappings


class ContainerDetailSerializer(ContainerSerializer):
    services = ServiceSerializer(many=True, read_only=True)

    class Meta(ContainerSerializer.Meta):
        fields = [*ContainerSerializer.Meta.fields, "services"]


def open_assignment_of(gpu):
    """The GPU's open assignment: from the ``open_assignments`` prefetch of
    ``GPU.objects.with_related()`` when loaded, else one query."""
    if hasattr(gpu, "open_assignments"):
        return gpu.open_assignments[0] if gpu.open_assignments else None
    return gpu.assignments.filter(released_at__isnull=True).first()


class OpenAssignmentField(serializers.ReadOnlyField):
    """One attribute of the GPU's open assignment (``null`` when there is none)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", allow_null=True, **kwargs)

    def to_representation(self, gpu):
        assignment = open_assignment_of(gpu)
        value = getattr(assignment, self.field_name) if assignment is not None else None
        return fields.format_datetime(value) if hasattr(value, "tzinfo") else value


@extend_schema_field(OpenApiTypes.STR)
class OpenAssignmentText(OpenAssignmentField):
    pass


@extend_schema_field(OpenApiTypes.DATETIME)
class OpenAssignmentTime(OpenAssignmentField):
    pass


class GPUSerializer(ModelSerializer):
    server_id = fields.RelatedIdField(source="server", queryset=Server.objects.all())
    server_name = related_name_field("server.name")
    assigned_to = fields.IntegerField(source="assigned_to_id", read_only=True, allow_null=True)
    assigned_user_name = related_name_field("assigned_to.display_name")
    is_available = fields.BooleanField(read_only=True)
    purpose = OpenAssignmentText()
    assigned_at = OpenAssignmentTime()
    expires_at = OpenAssignmentTime()

    class Meta:
        model = GPU
        fields = [
            "id", "server_id", "server_name", "assigned_to", "assigned_user_name", "model", "memory_gb",
            "index", "gpu_usage", "memory_usage", "status", "is_available", "purpose", "assigned_at",
            "expires_at", "description", "sort_order", "created_at", "updated_at",
        ]
        read_only_fields = ["sort_order"]

    def validate(self, attrs):
        if self.instance is not None:
            check_status_change(self.instance, attrs.get("status"))  # 422 (itam.errors.Conflict)
        return attrs


class ServerDetailSerializer(ServerSerializer):
    containers = ContainerDetailSerializer(many=True, read_only=True)
    gpus = GPUSerializer(many=True, read_only=True)

    class Meta(ServerSerializer.Meta):
        fields = [*ServerSerializer.Meta.fields, "containers", "gpus"]

