"""``GET /datacenters/overview`` (API.md §3.3), an action of ``DatacenterViewSet``: per
active datacenter, its counts and the split of its servers by environment and status. Two
queries whatever the fleet size."""
from collections import Counter, defaultdict

from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from itam.api.routing import extra_action

from ..models import GPU, Container, Datacenter, Server, Service
from ..querysets import count_of


def datacenter_overview():
    datacenters = (
        Datacenter.objects.filter(is_active=True).order_by("name", "id")
        .annotate(
            container_count=count_of(Container.objects, "server__datacenter"),
            service_count=count_of(Service.objects, "container__server__datacenter"),
            gpu_server_count=count_of(GPU.objects, "server__datacenter", distinct="server"),
        )
        .values("id", "name", "location", "container_count", "service_count", "gpu_server_count")
    )
    env_stats, status_stats = defaultdict(Counter), defaultdict(Counter)
    groups = Server.objects.filter(datacenter__is_active=True).order_by().values(
        "datacenter_id", "environment_id", "status").annotate(n=Count("pk"))
    for group in groups:
        env_stats[group["datacenter_id"]][str(group["environment_id"])] += group["n"]
        status_stats[group["datacenter_id"]][group["status"]] += group["n"]
    return [
        {
            "id": dc["id"], "name": dc["name"], "location": dc["location"],
            "server_count": env_stats[dc["id"]].total(),
            "container_count": dc["container_count"], "service_count": dc["service_count"],
            "gpu_server_count": dc["gpu_server_count"],
            "env_stats": dict(sorted(env_stats[dc["id"]].items(), key=lambda kv: int(kv[0]))),
            "status_stats": dict(sorted(status_stats[dc["id"]].items())),
        }
        for dc in datacenters
    ]


class DatacenterOverviewAction:  # for DatacenterViewSet
    @extend_schema(
        summary="Per-datacenter counts for the dashboard",
        responses=inline_serializer("DatacenterOverview", many=True, fields={
            "id": serializers.IntegerField(), "name": serializers.CharField(),
            "location": serializers.CharField(allow_null=True),
            **{name: serializers.IntegerField() for name in (
                "server_count", "container_count", "service_count", "gpu_server_count")},
            "env_stats": serializers.DictField(child=serializers.IntegerField(),
                                               help_text="environment id (string) -> server count"),
            "status_stats": serializers.DictField(child=serializers.IntegerField(),
                                                  help_text="server status -> server count"),
        }),
    )
    @extra_action(detail=False)
    def overview(self, request):
        """Per active datacenter, its counts and its servers by environment and by status."""
        return Response(datacenter_overview())
