"""Routers whose routes answer with and without a trailing slash (API.md §1.1), and the
extra actions that put a resource's non-CRUD endpoints on its viewset."""
from rest_framework.decorators import action
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings


class OptionalSlashRouter(SimpleRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"


def extra_action(*, detail, methods=("get",), **kwargs):
    """A viewset action (``/{resource}/{url_path}`` or ``/{resource}/{id}/{url_path}``) that
    takes nothing from its viewset's CRUD settings unless told: any authenticated user
    (``permission_classes`` to narrow it), no pagination and no list filters. Its body reads
    and checks its own parameters.

    A class that holds actions for a viewset (a mixin) has no docstring: drf-spectacular would
    publish it as the description of every operation of the viewset."""
    kwargs.setdefault("permission_classes", api_settings.DEFAULT_PERMISSION_CLASSES)
    kwargs.setdefault("pagination_class", None)
    kwargs.setdefault("filter_backends", ())
    return action(detail=detail, methods=list(methods), **kwargs)
