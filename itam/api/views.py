from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny


@extend_schema(exclude=True)  # the catch-all is not an operation of the API
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
def route_not_found(request, *args, **kwargs):
    """Unknown paths under /api answer with the JSON error envelope, never HTML."""
    raise exceptions.NotFound("Not found.")
