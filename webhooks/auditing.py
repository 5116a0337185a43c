"""How webhooks appear in the audit log: the fields the API writes, the secret hidden, the
API's webhook object (no secret) as the delete snapshot. Their entries are never announced
to webhooks (``webhooks.events.UNANNOUNCED``)."""
from audit import registry
from audit.choices import ResourceType
from audit.registry import AuditSpec
from itam.api.serializers import written_fields

from .api.serializers import WebhookSerializer
from .models import Webhook


def register():
    registry.register(Webhook, AuditSpec(
        ResourceType.WEBHOOK, written_fields(WebhookSerializer), snapshot=lambda hook: WebhookSerializer(hook).data,
        hidden=frozenset({"secret"}),
    ))
