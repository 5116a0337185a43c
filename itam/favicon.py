"""``/favicon.ico``: a small icon for the admin's tabs, so browsers stop logging a 404 for it.
An SVG (every current browser shows one), cached for a day; the admin pages link it too."""
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#417690"/>'
    '<rect x="7" y="7" width="18" height="5" rx="1" fill="#fff"/>'
    '<rect x="7" y="14" width="18" height="5" rx="1" fill="#fff"/>'
    '<rect x="7" y="21" width="18" height="5" rx="1" fill="#f5dd5d"/>'
    "</svg>"
)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(ICON, content_type="image/svg+xml")
