"""``GET /search`` and ``GET /search/quick`` (API.md §8). Classification and queries live
in ``inventory.search``; items are rendered with the list serializers' shapes."""
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from itam.api import fields
from itam.api.pagination import lenient_int

from .. import search
from itam.api.compiled import render_many
from .params import query_params
from .serializers import ContainerSerializer, GPUSerializer, PortMappingSerializer, ServerSerializer, ServiceSerializer

ITEM_SERIALIZERS = {
    "servers": ServerSerializer, "containers": ContainerSerializer, "services": ServiceSerializer,
    "port_mappings": PortMappingSerializer, "gpus": GPUSerializer,
}


class KeywordParams(serializers.Serializer):
    keyword = fields.CharField(required=False)
    q = fields.CharField(required=False)


def keyword_of(request):
    """``keyword``, else its alias ``q``, trimmed; an empty value counts as absent (API.md
    §1.6). Text the database cannot hold (NUL characters) is a 400 on the parameter."""
    params = query_params(request, KeywordParams)
    return params.get("keyword") or params.get("q") or ""


def limit_of(request, default, maximum):
    """Lenient: a non-integer means the default; the value is clamped to 1..maximum."""
    return min(maximum, max(1, lenient_int(request.query_params.get("limit"), default)))


def keyword_parameters(default, maximum):
    return [
        OpenApiParameter("keyword", str, description="Search text (alias: q; keyword wins)."),
        OpenApiParameter("q", str, description="Alias of keyword."),
        OpenApiParameter("limit", int, description=f"Default {default}, clamped to 1..{maximum}."),
    ]


class SearchView(APIView):
    @extend_schema(
        summary="Search servers, containers, services, port mappings and GPUs",
        parameters=keyword_parameters(search.SEARCH_DEFAULT_LIMIT, search.SEARCH_MAX_LIMIT),
        responses=inline_serializer("SearchResult", fields={
            **{name: serializer_class(many=True) for name, serializer_class in ITEM_SERIALIZERS.items()},
            "search_type": serializers.ChoiceField([search.IP, search.PORT, search.KEYWORD]),
            "total": serializers.IntegerField(),
        }),
    )
    def get(self, request):
        limit = limit_of(request, search.SEARCH_DEFAULT_LIMIT, search.SEARCH_MAX_LIMIT)
        search_type, querysets = search.search(keyword_of(request), limit)
        data = {name: render_many(ITEM_SERIALIZERS[name], qs) if qs is not None else []
                for name, qs in querysets.items()}
        return Response({**data, "search_type": search_type, "total": sum(len(items) for items in data.values())})


class QuickSearchView(APIView):
    @extend_schema(
        summary="Name suggestions: servers, then containers",
        parameters=keyword_parameters(search.QUICK_DEFAULT_LIMIT, search.QUICK_MAX_LIMIT),
        responses=inline_serializer("QuickSearchSuggestion", many=True, fields={
            "type": serializers.ChoiceField(["server", "container"]), "id": serializers.IntegerField(),
            "name": serializers.CharField(), "description": serializers.CharField(),
        }),
    )
    def get(self, request):
        limit = limit_of(request, search.QUICK_DEFAULT_LIMIT, search.QUICK_MAX_LIMIT)
        return Response(search.quick_search(keyword_of(request), limit))
