"""GPU assignment endpoints (API.md §5): assign, release and the assignment history.
The rules live in ``inventory.services.gpu_assignment``; these views only translate HTTP."""
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from itam.api import fields
from itam.api.filters import FilterSet
from itam.api.permissions import IsAdmin
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


class GPUActionView(APIView):
    """POST with a small body on one GPU: 404, then 400, then the service's rules."""

    permission_classes = [IsAdmin]
    body_class = None

    def post(self, request, pk):
        require_gpu(pk)
        body = self.body_class(data=request.data)
        body.is_valid(raise_exception=True)
        return gpu_response(pk, self.act(request, pk, body.validated_data))


@extend_schema_view(post=extend_schema(summary="Assign a free GPU to a user", request=AssignSerializer,
                                       responses=GPUSerializer, parameters=[GPU_ID]))
class GPUAssignView(GPUActionView):
    body_class = AssignSerializer

    def act(self, request, pk, data):
        gpu = gpu_assignment.assign_gpu(pk, data["user_id"], by=request.user, purpose=data.get("purpose"),
                                        expires_at=data.get("expires_at"))
        return f"GPU assigned to {gpu.assigned_to.display_name}."


@extend_schema_view(post=extend_schema(summary="Release a GPU", request=ReleaseSerializer, responses=GPUSerializer,
                                       parameters=[GPU_ID]))
class GPUReleaseView(GPUActionView):
    body_class = ReleaseSerializer

    def act(self, request, pk, data):
        gpu_assignment.release_gpu(pk, by=request.user, reason=data.get("reason"))
        return "GPU released."


class GPUAssignmentFilter(FilterSet):
    keyword = None
    ordering_fields = ("assigned_at", "expires_at", "released_at", "id")
    default_ordering = ("-assigned_at",)

    class Meta:
        model = GPUAssignment
        fields = []


class GPUAssignmentListView(generics.ListAPIView):
    serializer_class = GPUAssignmentSerializer
    filterset_class = GPUAssignmentFilter

    @extend_schema(summary="A GPU's assignment history", parameters=[GPU_ID])
    def get(self, request, *args, **kwargs):
        require_gpu(kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return GPUAssignment.objects.none()
        return GPUAssignment.objects.filter(gpu_id=self.kwargs["pk"])
