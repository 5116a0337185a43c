"""System endpoints (API.md §9.4, §9.5): health, the OpenAPI document and its Swagger UI.
None of them needs credentials, and a stray Authorization header is not checked."""
import logging

from django.db import DatabaseError, connection
from drf_spectacular.renderers import OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import schema  # noqa: F401  registers the authentication extensions before generation
from .exceptions import error_response

logger = logging.getLogger("itam.api")

HEALTH_STATES = [("ok", "ok"), ("error", "error")]
HealthSerializer = inline_serializer(
    "Health",
    {"status": serializers.ChoiceField(choices=HEALTH_STATES), "database": serializers.ChoiceField(choices=HEALTH_STATES)},
)


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: database unavailable")
        return False
    return True


class PublicMixin:
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class HealthView(PublicMixin, APIView):
    @extend_schema(
        operation_id="health",
        tags=["system"],
        responses={200: HealthSerializer, 503: OpenApiResponse(HealthSerializer, description="Database unavailable.")},
    )
    def get(self, request):
        if database_is_up():
            return Response({"status": "ok", "database": "ok"})
        return error_response(503, "Database unavailable.", data={"status": "error", "database": "error"})


class SchemaView(PublicMixin, SpectacularAPIView):
    """JSON by default; ``?format=yaml`` for YAML."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]


class DocsView(PublicMixin, SpectacularSwaggerView):
    url_name = "api-schema"
