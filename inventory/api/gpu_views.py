"""GPU assignment endpoints (API.md §5): assign, release and the assignment history, as
actions of ``GPUViewSet``. The rules live in ``inventory.services.gpu_assignment``; these
actions only translate HTTP."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings

from itam.api import fields
from itam.api.filters import FilterSet
from itam.api.permissions import IsAdmin
from itam.api.routing import extra_action
from itam.api.serializers import ModelSerializer

from ..models import GPU, GPUAssignment
from ..services import gpu_assignment
from .serializers import GPUSerializer


class AssignSerializer(serializers.Serializer):
    user_id = fields.IntegerField()
    purpose = fields.CharField(max_length=200, required=False, allow_null=True)
    expires_at = fields.DateTimeField(required=False, allow_null=True,
                                      help_text="Must lie in the future; null means no expiry.")


class ReleaseSerializer(serializers.Serializer):
    reason = fields.CharField(max_length=200, required=False, allow_null=True,
                              help_text='Stored as release_reason; default "manual".')


class GPUAssignmentSerializer(ModelSerializer):
    """One row of a GPU's assignment history (read-only)."""

    gpu_id = serializers.ReadOnlyField()
    user_id = serializers.ReadOnlyField()
    assigned_by_id = serializers.ReadOnlyField()
    released_by_id = serializers.ReadOnlyField()

    class Meta:
        model = GPUAssignment
        fields = [
            "id", "gpu_id", "user_id", "user_name", "assigned_by_id", "assigned_by_name", "purpose",
            "assigned_at", "expires_at", "released_at", "released_by_id", "release_reason",
        ]
        read_only_fields = fields


GPU_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="GPU id")


def require_gpu(pk):
    """404 before the body is validated (API.md §1.4 check order)."""
    if not GPU.objects.filter(pk=pk).exists():
        raise NotFound(gpu_assignment.GPU_NOT_FOUND)


def gpu_response(pk, message):
    response = Response(GPUSerializer(GPU.objects.with_related().get(pk=pk)).data)
    response.message = message
    return response


class GPUAssignmentFilter(FilterSet):
    keyword = None
    ordering_fields = ("assigned_at", "expires_at", "released_at", "id")
    default_ordering = ("-assigned_at",)

    class Meta:
        model = GPUAssignment
        fields = []


class GPUAssignmentActions:  # for GPUViewSet: POST /gpus/{id}/assign|release (admins), GET /gpus/{id}/assignments
    def gpu_body(self, pk, body_class):
        """The validated body: 404 for an unknown GPU first, then 400 (API.md §1.4)."""
        require_gpu(pk)
        body = body_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(summary="Assign a free GPU to a user", request=AssignSerializer, responses=GPUSerializer,
                   parameters=[GPU_ID])
    @extra_action(detail=True, methods=["post"], permission_classes=[IsAdmin], serializer_class=AssignSerializer)
    def assign(self, request, pk):
        """POST with a small body on one GPU: 404, then 400, then the service's rules."""
        data = self.gpu_body(pk, AssignSerializer)
        gpu = gpu_assignment.assign_gpu(pk, data["user_id"], by=request.user, purpose=data.get("purpose"),
                                        expires_at=data.get("expires_at"))
        return gpu_response(pk, f"GPU assigned to {gpu.assigned_to.display_name}.")

    @extend_schema(summary="Release a GPU", request=ReleaseSerializer, responses=GPUSerializer, parameters=[GPU_ID])
    @extra_action(detail=True, methods=["post"], permission_classes=[IsAdmin], serializer_class=ReleaseSerializer)
    def release(self, request, pk):
        """POST with a small body on one GPU: 404, then 400, then the service's rules."""
        data = self.gpu_body(pk, ReleaseSerializer)
        gpu_assignment.release_gpu(pk, by=request.user, reason=data.get("reason"))
        return gpu_response(pk, "GPU released.")

    @extend_schema(summary="A GPU's assignment history", parameters=[GPU_ID],
                   responses=GPUAssignmentSerializer(many=True))
    @extra_action(
        detail=True, queryset=GPUAssignment.objects.all(), serializer_class=GPUAssignmentSerializer,
        filterset_class=GPUAssignmentFilter, pagination_class=api_settings.DEFAULT_PAGINATION_CLASS,
        filter_backends=api_settings.DEFAULT_FILTER_BACKENDS,
    )
    def assignments(self, request, pk):
        require_gpu(pk)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset().filter(gpu_id=pk)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
