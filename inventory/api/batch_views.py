"""``POST /servers/batch-update`` and ``POST /servers/batch-delete`` (API.md §9.2), as
actions of ``ServerViewSet``. The rules live in ``inventory.services.batch``; these actions
validate the body."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from itam.api.permissions import IsAdmin
from itam.api.routing import extra_action

from ..services.batch import batch_delete_servers, batch_update_servers
from .params import id_field
from .serializers import ServerSerializer

MAX_IDS = 500
UPDATABLE_FIELDS = (
    "datacenter_id", "environment_id", "status", "responsible_person", "description",
    "cpu_usage", "memory_usage", "disk_usage",
)


class BatchDeleteBody(serializers.Serializer):
    ids = serializers.ListField(child=id_field(), allow_empty=False,
                                help_text=f"Server ids; at most {MAX_IDS} (duplicates counted once).")

    def validate_ids(self, ids):
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_IDS:
            raise serializers.ValidationError(f"Ensure this field has no more than {MAX_IDS} distinct ids.")
        return unique


class BatchUpdateBody(BatchDeleteBody):
    updates = serializers.DictField(allow_empty=False, help_text="Allowed keys: " + ", ".join(UPDATABLE_FIELDS))

    def validate_updates(self, updates):
        """The server fields' own validation (API.md §3.5); other keys are refused, not
        ignored, since a typo would otherwise silently change nothing."""
        unknown = {key: ["This field cannot be changed in a batch."] for key in updates if key not in UPDATABLE_FIELDS}
        if unknown:
            raise serializers.ValidationError(unknown)
        server = ServerSerializer(data=updates, partial=True, context=self.context)
        if not server.is_valid():
            raise serializers.ValidationError(server.errors)
        return server.validated_data


_result = inline_serializer("BatchResult", fields={
    "success": serializers.ListField(child=serializers.IntegerField()),
    "failed": inline_serializer("BatchFailure", many=True, fields={
        "id": serializers.IntegerField(), "reason": serializers.CharField()}),
    "total": serializers.IntegerField(), "success_count": serializers.IntegerField(),
    "failed_count": serializers.IntegerField(),
})


def batch_action(body_class, url_path):
    return extra_action(detail=False, methods=["post"], url_path=url_path, permission_classes=[IsAdmin],
                        serializer_class=body_class, detail_serializer_class=None)


class ServerBatchActions:  # for ServerViewSet
    def batch_body(self, request, body_class):
        body = body_class(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        return body.validated_data

    def batch_response(self, result, verb):
        response = Response(result.as_dict())
        response.message = result.message(verb)
        return response

    @extend_schema(summary="Change fields of many servers", request=BatchUpdateBody, responses=_result)
    @batch_action(BatchUpdateBody, "batch-update")
    def batch_update(self, request):
        body = self.batch_body(request, BatchUpdateBody)
        return self.batch_response(batch_update_servers(body["ids"], body["updates"]), "update")

    @extend_schema(summary="Delete many servers (no cascade)", request=BatchDeleteBody, responses=_result)
    @batch_action(BatchDeleteBody, "batch-delete")
    def batch_delete(self, request):
        body = self.batch_body(request, BatchDeleteBody)
        return self.batch_response(batch_delete_servers(body["ids"]), "delete")
