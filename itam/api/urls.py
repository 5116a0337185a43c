"""Every route under /api. Each app owns its url module; the catch-all comes last."""
from django.urls import include, path, re_path

from .views import route_not_found

urlpatterns = [
    path("", include("itam.api.system_urls")),  # health, schema, docs
    path("", include("accounts.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("webhooks.api.urls")),
    # [\s\S], not ".": a path with a line break is unknown too, not Django's HTML 404 (and no
    # inline flag such as (?s), which Django's reverse() cannot read: every admin page reverses).
    re_path(r"^[\s\S]*$", route_not_found),
]
