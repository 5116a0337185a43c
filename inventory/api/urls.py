"""Every route of the inventory API; each answers with and without a trailing slash.

The resources' routes come from their viewsets (CRUD and actions such as ``servers/tree``
or ``gpus/{id}/assign``); search and the workbook import/export are views of their own."""
from django.urls import re_path

from itam.api.routing import OptionalSlashRouter

from . import views
from .reservation_views import GpuReservationViewSet
from .import_export_views import ExportView, ImportView, TemplateView
from .search_views import QuickSearchView, SearchView

router = OptionalSlashRouter()
router.register("datacenters", views.DatacenterViewSet, basename="datacenter")
router.register("environments", views.EnvironmentViewSet, basename="environment")
router.register("servers", views.ServerViewSet, basename="server")
router.register("containers", views.ContainerViewSet, basename="container")
router.register("services", views.ServiceViewSet, basename="service")
router.register("gpus", views.GPUViewSet, basename="gpu")
router.register("gpu-reservations", GpuReservationViewSet, basename="gpu-reservation")

urlpatterns = [
    *router.urls,
    re_path(r"^search/?$", SearchView.as_view(), name="search"),
    re_path(r"^search/quick/?$", QuickSearchView.as_view(), name="search-quick"),
    re_path(r"^import-export/template/?$", TemplateView.as_view(), name="import-export-template"),
    re_path(r"^import-export/import/?$", ImportView.as_view(), name="import-export-import"),
    re_path(r"^import-export/export/?$", ExportView.as_view(), name="import-export-export"),
]
