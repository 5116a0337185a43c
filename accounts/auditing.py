"""How users appear in the audit log (API.md §6.3), registered with ``audit`` when the app
is ready: the fields the API writes (the password hidden), the API's user object as the
delete snapshot."""
from audit import registry
from audit.choices import ResourceType
from audit.registry import AuditSpec
from itam.api.serializers import written_fields

from .api.serializers import UserSerializer
from .models import User


def register():
    registry.register(User, AuditSpec(
        ResourceType.USER, written_fields(UserSerializer), snapshot=lambda user: UserSerializer(user).data,
        name_attr="username", hidden=frozenset({"password"}),
    ))
