"""CRUD routes of the inventory resources; each answers with and without a trailing slash."""
from itam.api.routing import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("datacenters", views.DatacenterViewSet, basename="datacenter")
router.register("environments", views.EnvironmentViewSet, basename="environment")
router.register("servers", views.ServerViewSet, basename="server")
router.register("containers", views.ContainerViewSet, basename="container")
router.register("services", views.ServiceViewSet, basename="service")
router.register("gpus", views.GPUViewSet, basename="gpu")

urlpatterns = router.urls
