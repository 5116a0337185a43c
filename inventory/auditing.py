"""How the inventory's models appear in the audit log (API.md §6.3), registered with
``audit`` when the app is ready: the fields each entry records (the fields the API writes,
plus those that change through dedicated actions), the resource's name, its delete snapshot
(the API detail representation) and a port mapping's place in its container's entry."""
from audit import registry
from audit.choices import ResourceType
from audit.registry import AuditSpec, PartSpec
from itam.api.serializers import written_fields

from .api import serializers as api
from .api.reservation_views import GpuReservationSerializer
from .models import GPU, Container, Datacenter, Environment, GpuReservation, PortMapping, Server, Service

# Changed by actions of their own (ownership, sort order, GPU assignment), not by the API's writes.
OWNED_AND_SORTED = {"owner_id": "owner_id", "sort_order": "sort_order"}


def api_snapshot(serializer_class):
    """The representation ``serializer_class`` gives, read the way the detail endpoint reads
    it (children prefetched)."""
    def snapshot(instance):
        manager = type(instance)._default_manager
        if hasattr(manager, "for_detail"):
            instance = manager.for_detail().get(pk=instance.pk)
        return serializer_class(instance).data
    return snapshot


def spec(resource_type, serializer_class, detail_serializer_class=None, extra=None, **options):
    return AuditSpec(
        resource_type, {**written_fields(serializer_class), **(extra or {})},
        snapshot=api_snapshot(detail_serializer_class or serializer_class), **options,
    )


def specs():
    return {
        Datacenter: spec(ResourceType.DATACENTER, api.DatacenterSerializer),
        Environment: spec(ResourceType.ENVIRONMENT, api.EnvironmentSerializer),
        Server: spec(ResourceType.SERVER, api.ServerSerializer, api.ServerDetailSerializer),
        Container: spec(ResourceType.CONTAINER, api.ContainerSerializer, api.ContainerDetailSerializer,
                        extra=OWNED_AND_SORTED),
        Service: spec(ResourceType.SERVICE, api.ServiceSerializer, extra=OWNED_AND_SORTED),
        GPU: spec(ResourceType.GPU, api.GPUSerializer, extra={"sort_order": "sort_order", "assigned_to": "assigned_to_id"},
                  name_attr="display_name", name_related=("server",)),
        # Status changes come from cancelling and from the jobs, not from the API's writes.
        GpuReservation: spec(ResourceType.GPU_RESERVATION, GpuReservationSerializer,
                             extra={"status": "status", "status_reason": "status_reason"},
                             name_attr="gpu_label", name_related=("gpu__server__datacenter",)),
    }


# A container's entry lists its mappings as mapping_chain strings (API.md §6.3).
PORT_MAPPINGS = PartSpec("port_mappings", represent=lambda mapping: mapping.mapping_chain)


def register():
    for model, model_spec in specs().items():
        registry.register(model, model_spec)
    registry.register_part(PortMapping, PORT_MAPPINGS)
