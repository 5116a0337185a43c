from django.contrib import admin
from django.urls import include, path

from accounts.admin_login import ThrottledAdminAuthenticationForm, admin_login
from inventory.admin_workbook import urls as workbook_urls
from itam.api.views import route_not_found
from itam.favicon import favicon
from itam.metrics import metrics_view

# The admin login shares the API login's brute-force budget (accounts/admin_login.py).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("admin/login/", admin_login),  # before the site's own login: answers 429 when throttled
    path("admin/", include(workbook_urls(admin.site))),  # the whole-workbook import/export page
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include("itam.api.urls")),
    path("api", route_not_found),
    path("favicon.ico", favicon),  # the bare base path: a JSON 404, not APPEND_SLASH's redirect
]

# The envelope for /api answers that Django itself gives (a bad Host header, a middleware's error).
handler400 = "itam.api.views.bad_request"
handler500 = "itam.api.views.server_error"
