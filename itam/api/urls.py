"""Every route under /api. Each app owns its url module; the catch-all comes last."""
from django.urls import include, path, re_path

from .views import route_not_found

urlpatterns = [
    path("", include("itam.api.system_urls")),  # health, schema, docs
    path("", include("accounts.api.urls")),
    path("", include("inventory.api.domain_urls")),  # before the CRUD routes: tree, batch, assign, ...
    path("", include("inventory.api.urls")),
    path("", include("inventory.api.import_export_urls")),
    path("", include("audit.api.urls")),
    re_path(r"^(?s:.*)$", route_not_found),  # (?s): a path with a line break is unknown too, not Django's HTML 404
]
