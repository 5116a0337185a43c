from django.contrib import admin
from django.urls import include, path

from inventory.admin_workbook import urls as workbook_urls

urlpatterns = [
    path("admin/", include(workbook_urls(admin.site))),  # the whole-workbook import/export page
    path("admin/", admin.site.urls),
    path("api/", include("itam.api.urls")),
]
