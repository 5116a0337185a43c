"""``POST /{containers,services,gpus}/update-sort-order`` (API.md §9.3), an action of those
resources' viewsets."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from itam.api import fields
from itam.api.permissions import IsAdmin
from itam.api.routing import extra_action

from ..services.sort_order import update_sort_order
from .params import id_field

MAX_SORT_ORDER = 2147483647


class SortItem(serializers.Serializer):
    id = id_field()
    sort_order = fields.IntegerField(min_value=0, max_value=MAX_SORT_ORDER)


class SortOrderBody(serializers.Serializer):
    items = serializers.ListField(child=SortItem(), allow_empty=False)


class SortOrderActions:  # for the viewsets of containers, services and GPUs
    @extend_schema(
        summary="Save the display order",
        request=SortOrderBody,
        responses=inline_serializer("SortOrderResult", fields={"updated": serializers.IntegerField()}),
    )
    @extra_action(detail=False, methods=["post"], url_path="update-sort-order", permission_classes=[IsAdmin],
                  serializer_class=SortOrderBody, detail_serializer_class=None)
    def update_sort_order(self, request):
        """Admins only; ids that do not exist are skipped."""
        body = SortOrderBody(data=request.data)
        body.is_valid(raise_exception=True)
        response = Response({"updated": update_sort_order(self.queryset.model, body.validated_data["items"])})
        response.message = "Sort order saved."
        return response
