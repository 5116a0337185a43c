"""/import-export routes (API.md §7); each answers with and without a trailing slash."""
from django.urls import re_path

from .import_export_views import ExportView, ImportView, TemplateView

urlpatterns = [
    re_path(r"^import-export/template/?$", TemplateView.as_view(), name="import-export-template"),
    re_path(r"^import-export/import/?$", ImportView.as_view(), name="import-export-import"),
    re_path(r"^import-export/export/?$", ExportView.as_view(), name="import-export-export"),
]
