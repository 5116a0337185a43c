"""A compiled viewset's plans are cached per ``read_plan_scope()``: whatever its
``get_queryset``/``filter_queryset`` read from the request, the clock or the settings must
be read by ``read_plan_scope()`` too, or a plan built for one caller (or minute, or
setting) would answer another. Checked for every compiled viewset the URL router has."""
import sys

import pytest
from django.conf import LazySettings
from django.db.models import Q
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from inventory.api.views import ServerViewSet
from itam.tests.compiled_equality import compiled_routes

PROJECT = ("accounts.", "inventory.", "audit.", "itam.")


def _from_project(depth=2):
    module = sys._getframe(depth).f_globals.get("__name__", "")
    return module.startswith(PROJECT) and not module.startswith("itam.api.compiled")


class RecordingRequest:
    """A DRF request that notes the attributes project code reads from it."""

    def __init__(self, request, reads):
        object.__setattr__(self, "_request", request)
        object.__setattr__(self, "_reads", reads)

    def __getattr__(self, name):
        if _from_project():
            self._reads.add(f"request.{name}")
        return getattr(self._request, name)


@pytest.fixture
def recorder(monkeypatch):
    reads = set()
    now, lookup = timezone.now, LazySettings.__getattribute__

    def recording_now():
        reads.add("clock")
        return now()

    def recording_settings(self, name):
        if name.isupper() and _from_project():
            reads.add(f"settings.{name}")
        return lookup(self, name)

    monkeypatch.setattr(timezone, "now", recording_now)
    monkeypatch.setattr(LazySettings, "__getattribute__", recording_settings)
    return reads


def undeclared_reads(view_class, action, user, reads):
    """What the view's read querysets read that its ``read_plan_scope()`` does not."""
    request = Request(APIRequestFactory().get("/api/x"))
    request.user = user
    view = view_class(action=action, kwargs={"pk": "1"}, args=(), format_kwarg=None)
    view.request = RecordingRequest(request, reads)
    reads.clear()
    if action == "list":
        view.filter_queryset(view.get_queryset())
    else:
        getattr(view, "get_detail_queryset", view.get_queryset)()
    by_queryset = set(reads)
    reads.clear()
    view.read_plan_scope()
    return by_queryset - reads


@pytest.mark.parametrize("role", ["admin_user", "normal_user"])
def test_every_compiled_viewset_declares_what_its_querysets_read(recorder, request, role):
    user = request.getfixturevalue(role)
    checked = []
    for action, _, view_class in compiled_routes():
        if action in ("list", "retrieve"):
            assert undeclared_reads(view_class, action, user, recorder) == set(), (view_class, action)
            checked.append(view_class.__name__)
    assert {"ServerViewSet", "UserViewSet", "AuditLogViewSet"} <= set(checked)


class MineOnly(ServerViewSet):
    def get_queryset(self):
        return super().get_queryset().filter(responsible_person=self.request.user.username)


class RecentOnly(ServerViewSet):
    def get_queryset(self):
        return super().get_queryset().filter(created_at__lte=timezone.now())


class ConfiguredOnly(ServerViewSet):
    def get_queryset(self):
        from django.conf import settings

        return super().get_queryset().filter(~Q(status="x") if settings.DEBUG else Q())


class MineOnlyDeclared(MineOnly):
    def read_plan_scope(self):
        return (self.request.user.username,)


@pytest.mark.parametrize("view_class, undeclared", [
    (MineOnly, {"request.user"}), (RecentOnly, {"clock"}), (ConfiguredOnly, {"settings.DEBUG"}),
    (MineOnlyDeclared, set()),
])
def test_a_queryset_reading_the_caller_clock_or_settings_must_declare_it(recorder, normal_user, view_class,
                                                                         undeclared):
    assert undeclared_reads(view_class, "list", normal_user, recorder) == undeclared
