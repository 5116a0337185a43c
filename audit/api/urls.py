from itam.api.routing import OptionalSlashRouter

from .views import AuditLogViewSet

router = OptionalSlashRouter()
router.register("audit-logs", AuditLogViewSet, basename="audit-log")

urlpatterns = router.urls
