"""Webhooks API: /webhooks (admin-only CRUD) and /webhooks/{id}/deliveries (its attempts).

Views translate HTTP to ``webhooks.services``; rules live there."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.settings import api_settings

from itam.api.permissions import IsAdmin
from itam.api.routing import extra_action
from itam.api.viewsets import ResourceViewSet
from webhooks import services
from webhooks.models import Webhook, WebhookDelivery

from .filters import WebhookDeliveryFilterSet, WebhookFilterSet
from .serializers import WebhookDeliverySerializer, WebhookSerializer

WEBHOOK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The webhook's id.")


class WebhookService:
    """The writes the ResourceViewSet calls, in its shape."""

    @staticmethod
    def create(values, *, creator=None):
        return services.create_webhook(values)

    update = staticmethod(services.update_webhook)
    delete = staticmethod(services.delete_webhook)


@extend_schema(tags=["webhooks"])
class WebhookViewSet(ResourceViewSet):
    """Webhooks (admin only): the audit events they receive and where (docs/API-NOTES.md)."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilterSet
    permission_classes = [IsAdmin]
    service = WebhookService

    @extend_schema(summary="A webhook's delivery attempts, newest first", parameters=[WEBHOOK_ID],
                   responses=WebhookDeliverySerializer(many=True))
    @extra_action(
        detail=True, queryset=WebhookDelivery.objects.all(), serializer_class=WebhookDeliverySerializer,
        filterset_class=WebhookDeliveryFilterSet, permission_classes=[IsAdmin],
        pagination_class=api_settings.DEFAULT_PAGINATION_CLASS, filter_backends=api_settings.DEFAULT_FILTER_BACKENDS,
    )
    def deliveries(self, request, pk):
        get_object_or_404(Webhook.objects.only("id"), pk=pk)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset().filter(webhook_id=pk)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
