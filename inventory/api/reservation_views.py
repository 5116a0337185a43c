"""GPU reservations (API.md §11.2): ``/gpu-reservations``. The rules live in
``inventory.services.reservations``; this module validates input and translates HTTP."""
import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response

from itam.api import fields
from itam.api.compiled import reads
from itam.api.filters import FilterSet, IdFilter
from itam.access import is_admin
from itam.api.serializers import ModelSerializer
from itam.api.viewsets import ResourceViewSet

from ..choices import ReservationStatus
from ..models import GPU, GpuReservation
from ..services import reservations
from .serializers import related_name_field

User = get_user_model()


class ServiceLockedIdField(fields.RelatedIdField):
    """A GPU id the service locks ``FOR UPDATE`` itself: without the ``FOR KEY SHARE`` hold,
    which concurrent bookings of one GPU would each take and then wait to upgrade (deadlock)."""

    def to_internal_value(self, data):
        return super(fields.RelatedIdField, self).to_internal_value(data)


class GpuReservationSerializer(ModelSerializer):
    gpu_id = ServiceLockedIdField(source="gpu", queryset=GPU.objects.all())
    gpu_label = reads(fields.CharField(read_only=True), "gpu__model", "gpu__index", "gpu__server__name",
                      "gpu__server__datacenter__name")
    server_id = fields.IntegerField(source="gpu.server_id", read_only=True)
    user_id = fields.RelatedIdField(source="user", queryset=User.objects.all(), required=False,
                                    help_text="Admins only; default the caller.")
    user_name = related_name_field("user.display_name")
    starts_at = fields.DateTimeField()
    ends_at = fields.DateTimeField()

    class Meta:
        model = GpuReservation
        fields = [
            "id", "gpu_id", "gpu_label", "server_id", "user_id", "user_name", "purpose", "starts_at", "ends_at",
            "status", "status_reason", "created_at", "updated_at",
        ]
        read_only_fields = ["status", "status_reason"]


class WindowFilter(django_filters.IsoDateTimeFilter):
    """``from`` / ``to``: reservations whose window overlaps ``[from, to)``."""


class GpuReservationFilter(FilterSet):
    keyword = None
    ordering_fields = ("id", "starts_at", "ends_at", "status", "gpu_id", "user_id", "created_at", "updated_at")
    default_ordering = ("starts_at",)

    gpu_id = IdFilter()
    server_id = IdFilter(field_name="gpu__server_id")
    datacenter_id = IdFilter(field_name="gpu__server__datacenter_id")
    user_id = IdFilter()
    status = django_filters.ChoiceFilter(choices=ReservationStatus.choices)
    locals()["from"] = WindowFilter(field_name="ends_at", lookup_expr="gt", label="Window overlaps from this time.")
    locals()["to"] = WindowFilter(field_name="starts_at", lookup_expr="lt", label="Window overlaps until this time.")

    class Meta:
        model = GpuReservation
        fields = []


class OwnerOrAdminChanges(permissions.BasePermission):
    """Any user reads and books; the reservation's user or an admin changes it."""

    message = reservations.NOT_OWNER

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or reservations.may_change(
            obj, request.user, is_admin=is_admin(request.user))


class GpuReservationViewSet(ResourceViewSet):
    queryset = GpuReservation.objects.select_related("gpu__server__datacenter", "user")
    serializer_class = GpuReservationSerializer
    filterset_class = GpuReservationFilter
    permission_classes = [OwnerOrAdminChanges]

    def perform_create(self, serializer):
        serializer.instance = reservations.book(serializer.validated_data, by=self.request.user,
                                                is_admin=is_admin(self.request.user))

    def perform_update(self, serializer):
        serializer.instance = reservations.edit(serializer.instance, serializer.validated_data,
                                                by=self.request.user, is_admin=is_admin(self.request.user))

    @extend_schema(summary="Cancel a pending or active reservation (an active one releases the GPU)",
                   responses=GpuReservationSerializer)
    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        reservation = reservations.cancel(self.get_object(), by=request.user, is_admin=is_admin(request.user))
        response = Response(self.get_serializer(self.get_detail_queryset().get(pk=reservation.pk)).data)
        response.message = "GPU reservation cancelled."
        return response
