"""How users appear in the audit log (API.md §6.3), registered with ``audit`` when the app
is ready: passwords hidden, the API's user object as the delete snapshot."""
from audit import registry
from audit.choices import ResourceType
from audit.registry import AuditSpec, fields

from .models import User


def user_snapshot(user):
    from .api.serializers import UserSerializer  # the API layer sits above the models

    return UserSerializer(user).data


USER = AuditSpec(
    ResourceType.USER, fields("username", "password", "display_name", "email", "role", "is_active"),
    snapshot=user_snapshot, name_attr="username", hidden=frozenset({"password"}),
)


def register():
    registry.register(User, USER)
