"""Event names a webhook subscribes to: ``<resource_type>.<action>`` from the audit log's
own vocabulary (``audit.choices``), ``<resource_type>.*`` or ``*``. A resource type another
app adds to ``ResourceType`` (``gpu_reservation``) is known here without a change."""
from audit.choices import Action, ResourceType

WILDCARD = "*"
# Changes to webhooks are audited but never announced (a webhook about webhooks could loop).
UNANNOUNCED = {ResourceType.WEBHOOK.value}


def resource_types():
    return [value for value in ResourceType.values if value not in UNANNOUNCED]


def known_names():
    """Every concrete event name, for forms and documentation."""
    return [f"{kind}.{action}" for kind in resource_types() for action in Action.values]


def problem(name):
    """Why ``name`` is not an event a webhook may subscribe to, or None."""
    if name == WILDCARD:
        return None
    kind, dot, action = name.partition(".") if isinstance(name, str) else ("", "", "")
    if not dot or kind not in resource_types():
        return f"Unknown event {name!r}: use <resource_type>.<action>, <resource_type>.* or *."
    if action != WILDCARD and action not in Action.values:
        return f"Unknown action in {name!r}."
    return None


def matches(subscribed, event_name):
    kind = event_name.partition(".")[0]
    return any(name in (WILDCARD, event_name, f"{kind}.{WILDCARD}") for name in subscribed)
