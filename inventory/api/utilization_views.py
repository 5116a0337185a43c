"""``GET /gpus/utilization`` (API.md §5): GPU-hours per user, GPU, server or model, an
action of ``GPUViewSet``."""
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from itam.api import fields
from itam.api.filters import BIGINT_MAX
from itam.api.routing import extra_action

from ..services.utilization import GROUP_BY_CHOICES, gpu_utilization, window_for
from .params import query_params

START_AFTER_END = "start_date must not be after end_date."


class UtilizationParams(serializers.Serializer):
    start_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    end_date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    group_by = serializers.ChoiceField(GROUP_BY_CHOICES, required=False, default="user")
    datacenter_id = fields.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"start_date": [START_AFTER_END]})
        return attrs


class GPUUtilizationAction:  # for GPUViewSet
    @extend_schema(
        summary="GPU-hours from the assignment history",
        parameters=[UtilizationParams],
        responses=inline_serializer("GPUUtilizationRow", many=True, fields={
            "user_id": serializers.IntegerField(required=False, allow_null=True,
                                                help_text="group_by=user (also user_name)"),
            "gpu_id": serializers.IntegerField(required=False, help_text="group_by=gpu (also gpu_name)"),
            "server_id": serializers.IntegerField(required=False, help_text="group_by=server (also server_name)"),
            "model": serializers.CharField(required=False, help_text="group_by=model"),
            "gpu_hours": serializers.FloatField(), "assignments": serializers.IntegerField(),
            "gpus": serializers.IntegerField(),
        }),
    )
    @extra_action(detail=False)
    def utilization(self, request):
        params = query_params(request, UtilizationParams)
        now = timezone.now()
        start, end = window_for(params.get("start_date"), params.get("end_date"), now=now)
        return Response(gpu_utilization(
            start, end, now=now, group_by=params["group_by"], datacenter_id=params.get("datacenter_id"),
        ))
