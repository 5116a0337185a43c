"""Routes of the webhooks API; every route answers with and without a trailing slash."""
from itam.api.routing import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
