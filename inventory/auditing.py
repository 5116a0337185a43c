"""How the inventory's models appear in the audit log (API.md §6.3), registered with
``audit`` when the app is ready: the fields each entry records, the resource's name, its
delete snapshot (the API detail representation) and a port mapping's place in its
container's entry."""
from audit import registry
from audit.choices import ResourceType
from audit.registry import AuditSpec, PartSpec, fields

from .models import GPU, Container, Datacenter, Environment, PortMapping, Server, Service


def api_snapshot(serializer_name):
    """The representation ``serializer_name`` of ``inventory.api.serializers`` gives, read the
    way the detail endpoint reads it (children prefetched)."""
    def snapshot(instance):
        from .api import serializers  # the API layer sits above the models this module loads with

        manager = type(instance)._default_manager
        if hasattr(manager, "for_detail"):
            instance = manager.for_detail().get(pk=instance.pk)
        return getattr(serializers, serializer_name)(instance).data
    return snapshot


SPECS = {
    Datacenter: AuditSpec(ResourceType.DATACENTER, fields("name", "location", "description", "is_active"),
                          snapshot=api_snapshot("DatacenterSerializer")),
    Environment: AuditSpec(ResourceType.ENVIRONMENT, fields("name", "code", "color", "sort_order"),
                           snapshot=api_snapshot("EnvironmentSerializer")),
    Server: AuditSpec(ResourceType.SERVER, fields(
        "name", "datacenter_id", "environment_id", "internal_ip", "external_ip", "cpu_cores", "memory_gb",
        "disk_gb", "os_type", "cpu_usage", "memory_usage", "disk_usage", "status", "responsible_person",
        "description", "ssh_port", "ssh_user",
    ), snapshot=api_snapshot("ServerDetailSerializer")),
    Container: AuditSpec(ResourceType.CONTAINER, fields(
        "name", "server_id", "owner_id", "assigned_user_id", "purpose", "image", "container_id", "cpu_limit",
        "memory_limit_mb", "cpu_usage", "memory_usage", "status", "description", "sort_order",
    ), snapshot=api_snapshot("ContainerDetailSerializer")),
    Service: AuditSpec(ResourceType.SERVICE, fields(
        "name", "container_id", "owner_id", "service_type", "port", "version", "status", "health_check_url",
        "description", "sort_order",
    ), snapshot=api_snapshot("ServiceSerializer")),
    GPU: AuditSpec(ResourceType.GPU, fields(
        "server_id", "model", "memory_gb", "index", "gpu_usage", "memory_usage", "status", "description",
        "sort_order", assigned_to="assigned_to_id",
    ), snapshot=api_snapshot("GPUSerializer"), name_attr="display_name", name_related=("server",)),
}

# A container's entry lists its mappings as mapping_chain strings (API.md §6.3).
PORT_MAPPINGS = PartSpec("port_mappings", represent=lambda mapping: mapping.mapping_chain)


def register():
    for model, spec in SPECS.items():
        registry.register(model, spec)
    registry.register_part(PortMapping, PORT_MAPPINGS)
