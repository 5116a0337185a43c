"""Health, schema and docs; every route answers with and without a trailing slash."""
from django.urls import re_path

from .system_views import DocsView, HealthView, SchemaView

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="api-health"),
    re_path(r"^schema/?$", SchemaView.as_view(), name="api-schema"),
    re_path(r"^docs/?$", DocsView.as_view(), name="api-docs"),
]
