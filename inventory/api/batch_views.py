"""``POST /servers/batch-update`` and ``POST /servers/batch-delete`` (API.md §9.2).
The rules live in ``inventory.services.batch``; these views validate the body."""
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from itam.api.permissions import IsAdmin

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


class BatchView(APIView):
    permission_classes = [IsAdmin]
    body_class = None
    verb = None

    def post(self, request):
        body = self.body_class(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        result = self.run(**body.validated_data)
        response = Response(result.as_dict())
        response.message = result.message(self.verb)
        return response


@extend_schema_view(post=extend_schema(summary="Change fields of many servers", request=BatchUpdateBody,
                                       responses=_result))
class BatchUpdateView(BatchView):
    body_class, verb = BatchUpdateBody, "update"

    def run(self, ids, updates):
        return batch_update_servers(ids, updates)


@extend_schema_view(post=extend_schema(summary="Delete many servers (no cascade)", request=BatchDeleteBody,
                                       responses=_result))
class BatchDeleteView(BatchView):
    body_class, verb = BatchDeleteBody, "delete"

    def run(self, ids):
        return batch_delete_servers(ids)
