"""``GET /servers/tree`` (API.md §4), an action of ``ServerViewSet``: the whole fleet as
server nodes, optionally with their resource card, containers, GPUs (level 2) and the
containers' services (level 3).

A fixed number of queries whatever the fleet size, one per loaded relation (see
``ServerQuerySet.for_tree``); nodes are the list serializers' output plus ``_type``,
rendered by ``itam.api.compiled``, which derives from those serializers.
"""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from itam.api.compiled import render_many
from itam.api.routing import extra_action

from ..choices import ServerStatus
from ..models import Server
from .filters import ServerFilter
from .params import query_params
from .serializers import ContainerSerializer, GPUSerializer, ServerSerializer, ServiceSerializer

CARD_FIELDS = ("cpu_usage", "memory_usage", "disk_usage", "cpu_cores", "memory_gb", "disk_gb", "gpu_count",
               "updated_at", "ssh_command", "internal_ip")
TREE_FILTERS = ("datacenter_id", "environment_id", "status", "keyword")


class TreeParams(serializers.Serializer):
    expand_level = serializers.ChoiceField(choices=[1, 2, 3], required=False, default=1,
                                           error_messages={"invalid_choice": "Must be 1, 2 or 3."})


def resource_card(server):
    return {"_type": "_resource_card", "id": f"card_{server['id']}", **{f: server[f] for f in CARD_FIELDS}}


def typed(kind, node):
    return {"_type": kind, **node}


def build_tree(servers, level):
    """Server nodes for ``level`` from the querysets of ``ServerQuerySet.for_tree``."""
    server_nodes = render_many(ServerSerializer, servers.servers)
    if level == 1:
        return server_nodes
    children = {node["id"]: [resource_card(node)] for node in server_nodes}
    services = {}
    if level == 3:
        for node in render_many(ServiceSerializer, servers.services):
            services.setdefault(node["container_id"], []).append(typed("service", node))
    # The queries are separate statements: a child whose server appeared after the server
    # query ran has no node to hang from and waits for the next load.
    for node in render_many(ContainerSerializer, servers.containers):
        if node["server_id"] in children:
            node = typed("container", node)
            if level == 3:
                node["children"] = services.get(node["id"], [])
            children[node["server_id"]].append(node)
    for node in render_many(GPUSerializer, servers.gpus):
        if node["server_id"] in children:
            children[node["server_id"]].append(typed("gpu", node))
    for node in server_nodes:
        node["hasChildren"] = True
        node["children"] = children[node["id"]]
    return server_nodes


class ServerTreeAction:  # for ServerViewSet
    @extend_schema(
        summary="The server tree",
        parameters=[
            TreeParams,
            OpenApiParameter("datacenter_id", int), OpenApiParameter("environment_id", int),
            OpenApiParameter("status", str, enum=ServerStatus.values),
            OpenApiParameter("keyword", str, description="Substring of name, internal_ip, external_ip, "
                                                         "responsible_person (case-insensitive)."),
        ],
        responses=ServerSerializer(many=True),
        description="Level 1: server objects. Level 2: plus hasChildren and children (resource card, "
                    "containers with _type 'container', GPUs with _type 'gpu'). Level 3: containers also "
                    "have children (services with _type 'service').",
    )
    @extra_action(detail=False)
    def tree(self, request):
        level = query_params(request, TreeParams)["expand_level"]
        filters = ServerFilter(
            data={k: v for k, v in request.query_params.items() if k in TREE_FILTERS},
            queryset=Server.objects.all(), request=request,
        )
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        return Response(build_tree(filters.qs.for_tree(level), level))
