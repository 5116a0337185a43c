"""GPU actions of API.md §11: ``POST /gpus/{id}/extend`` (the holder or an admin) and
``GET /gpus/availability``, actions of ``GPUViewSet``. The rules live in
``inventory.services.gpu_assignment`` and ``inventory.services.reservations``."""
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from itam.api import fields
from itam.api.compiled import render_many
from itam.api.filters import BIGINT_MAX
from itam.access import is_admin
from itam.api.routing import extra_action

from ..models import GPU
from ..services import gpu_assignment, reservations
from .gpu_views import GPU_ID, gpu_response, require_gpu
from .params import query_params
from .serializers import GPUSerializer

AVAILABILITY_LIMIT = 100
FROM_AFTER_TO = "from must be before to."


class ExtendSerializer(serializers.Serializer):
    expires_at = fields.DateTimeField(allow_null=True, help_text="Must lie in the future; null (admins) means no expiry.")


class AvailabilityParams(serializers.Serializer):
    # "from" is a Python keyword: the fields are named in get_fields.
    model = fields.CharField(required=False, max_length=64)
    datacenter_id = fields.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    server_id = fields.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    count = fields.IntegerField(required=False, default=1, min_value=1, max_value=AVAILABILITY_LIMIT)

    def get_fields(self):
        return {"from": fields.DateTimeField(), "to": fields.DateTimeField(), **super().get_fields()}

    def validate(self, attrs):
        if attrs["from"] >= attrs["to"]:
            raise serializers.ValidationError({"to": [FROM_AFTER_TO]})
        return attrs


class GPUReservationActions:  # for GPUViewSet: POST /gpus/{id}/extend, GET /gpus/availability
    @extend_schema(summary="Extend (or shorten) the hold on a GPU in use: its holder or an admin",
                   request=ExtendSerializer, responses=GPUSerializer, parameters=[GPU_ID])
    @extra_action(detail=True, methods=["post"], serializer_class=ExtendSerializer)
    def extend(self, request, pk):
        require_gpu(pk)
        gpu_assignment.check_may_extend(GPU.objects.get(pk=pk), request.user, by_admin=is_admin(request.user))
        body = ExtendSerializer(data=self.request_object())
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            gpu_assignment.extend_gpu(pk, body.validated_data["expires_at"], by=request.user,
                                      by_admin=is_admin(request.user))
        return gpu_response(pk, "GPU extended.")

    @extend_schema(summary="GPUs free for a whole window", parameters=[AvailabilityParams],
                   responses=GPUSerializer(many=True))
    @extra_action(detail=False)
    def availability(self, request):
        params = query_params(request, AvailabilityParams)
        gpus = GPU.objects.with_related()
        for name, lookup in (("model", "model__icontains"), ("datacenter_id", "server__datacenter_id"),
                             ("server_id", "server_id")):
            if params.get(name) is not None:
                gpus = gpus.filter(**{lookup: params[name]})
        free = reservations.free_gpus(gpus, params["from"], params["to"]).order_by(
            "server__datacenter__name", "server__datacenter_id", "server__name", "server_id", "index", "id")
        found = render_many(GPUSerializer, free[:AVAILABILITY_LIMIT])
        return Response(found if len(found) >= params["count"] else [])
