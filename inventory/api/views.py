"""Viewsets of the inventory resources (API.md §3.3-§3.8). The CRUD behaviour lives in
``itam.api.viewsets.ResourceViewSet``; each viewset names its reads, serializers, filters
and permissions, and takes its resource's other endpoints as actions from their modules
(tree, batch, GPU assignment and utilization, sort order, overview)."""
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from itam.api.viewsets import OwnedResourceViewSet, ResourceViewSet

from ..models import GPU, Container, Datacenter, Environment, Server, Service
from ..services import containers, crud
from . import filters, serializers
from .batch_views import ServerBatchActions
from .gpu_reservation_views import GPUReservationActions
from .gpu_views import GPUAssignmentActions
from .overview import DatacenterOverviewAction
from .sort_order_views import SortOrderActions
from .tree import ServerTreeAction
from .utilization_views import GPUUtilizationAction


class DatacenterViewSet(DatacenterOverviewAction, ResourceViewSet):
    """Datacenters: an unpaginated array of the active ones (``include_inactive``, ``include_stats``)."""

    queryset = Datacenter.objects.all()
    detail_queryset = Datacenter.objects.annotate(server_count=Count("servers"))
    serializer_class = serializers.DatacenterSerializer
    filterset_class = filters.DatacenterFilter
    pagination_class = None
    service = crud.Resource(Datacenter)

    @extend_schema(responses=serializers.DatacenterListItemSerializer(many=True))
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        # server_count appears in the list only when include_stats=true annotated it.
        context = {**self.get_serializer_context(), "with_server_count": "server_count" in queryset.query.annotations}
        return Response(self.get_serializer(queryset, many=True, context=context).data)


class EnvironmentViewSet(ResourceViewSet):
    queryset = Environment.objects.annotate(server_count=Count("servers"))
    serializer_class = serializers.EnvironmentSerializer
    filterset_class = filters.EnvironmentFilter
    pagination_class = None
    service = crud.Resource(Environment)


class ServerViewSet(ServerTreeAction, ServerBatchActions, ResourceViewSet):
    queryset = Server.objects.with_counts()
    detail_queryset = Server.objects.for_detail()
    serializer_class = serializers.ServerSerializer
    detail_serializer_class = serializers.ServerDetailSerializer
    filterset_class = filters.ServerFilter
    service = crud.Resource(Server)


class ContainerViewSet(SortOrderActions, OwnedResourceViewSet):
    queryset = Container.objects.with_counts()
    detail_queryset = Container.objects.for_detail()
    serializer_class = serializers.ContainerSerializer
    detail_serializer_class = serializers.ContainerDetailSerializer
    filterset_class = filters.ContainerFilter
    service = containers


class ServiceViewSet(SortOrderActions, OwnedResourceViewSet):
    queryset = Service.objects.with_related()
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilter
    service = crud.Resource(Service)


class GPUViewSet(GPUAssignmentActions, GPUReservationActions, GPUUtilizationAction, SortOrderActions, ResourceViewSet):
    queryset = GPU.objects.with_related()
    serializer_class = serializers.GPUSerializer
    filterset_class = filters.GPUFilter
    service = crud.Resource(GPU)
