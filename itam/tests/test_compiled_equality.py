"""Equality discovered, not listed: every compiled answer (each opted-in viewset's list and
detail from the URL router, the tree's levels, the search) equals plain DRF's byte for
byte, on a fleet where every field of every model is set and on one where every optional
field is null; and no serializer had to fall back to DRF. A field added to any serializer
is covered without touching this file."""
import json

import pytest

from inventory.api.serializers import ServerDetailSerializer, ServerSerializer
from inventory.models import Server
from inventory.tests.test_api_tree import fleet, grow  # noqa: F401 - a fixture, and more rows of every kind
from itam.api import compiled, fields
from itam.api.compiled import NotCompiled, renderer_for
from itam.tests import compiled_equality as walk


@pytest.fixture
def fresh(settings):
    settings.COMPILED_READS = True
    walk.reset()
    yield settings
    walk.reset()


@pytest.fixture
def clients(admin_api, user_api):
    return {"admin": admin_api, "user": user_api}


def test_the_walk_finds_every_kind_of_compiled_answer():
    kinds = {(kind, cls.__name__) for kind, _, cls in walk.compiled_routes()}
    assert {("list", "ServerViewSet"), ("retrieve", "ServerViewSet"), ("list", "AuditLogViewSet"),
            ("view", "ServerViewSet"), ("view", "SearchView")} <= kinds


@pytest.mark.parametrize("shape", ["every field set", "every optional field null"])
def test_every_compiled_answer_equals_drf(fleet, clients, fresh, shape):
    grow(2)
    walk.fill_every_field() if shape == "every field set" else walk.null_every_optional_field()
    found, compared = walk.differences(clients, fresh)
    assert found == []
    assert compared > 100  # lists, details of every row, tree levels, searches, for two callers


def test_every_model_serializer_renders_as_drf_on_its_models_rows(fleet, fresh):
    """Serializers no endpoint reaches yet: compiled output equals DRF's, or the compiled
    layer refuses them (NotCompiled) and DRF would answer."""
    grow(1)
    walk.fill_every_field()
    compared = 0
    for serializer_class in walk.project_model_serializers():
        queryset = walk.queryset_for(serializer_class)
        try:
            fast = renderer_for(serializer_class).render_many(queryset)
        except NotCompiled:
            continue
        assert json.dumps(fast) == json.dumps(serializer_class(queryset, many=True).data), serializer_class
        compared += 1
    assert compared >= 8


def _newcomer_field(monkeypatch, field):
    """The issue's experiment: a Server property reading a related object, exposed as a
    read-only field of the server serializers (list and detail)."""
    monkeypatch.setattr(Server, "datacenter_label", property(lambda server: f"DC {server.datacenter.name}"),
                        raising=False)
    for serializer_class in (ServerSerializer, ServerDetailSerializer):
        monkeypatch.setattr(serializer_class, "_declared_fields",
                            {**serializer_class._declared_fields, "datacenter_label": field})
        monkeypatch.setattr(serializer_class.Meta, "fields", [*serializer_class.Meta.fields, "datacenter_label"])


def test_a_field_the_compiled_layer_cannot_read_fails_by_name(fleet, clients, fresh, monkeypatch):
    _newcomer_field(monkeypatch, fields.CharField(read_only=True))
    walk.reset()
    found, _ = walk.differences(clients, fresh)
    assert found, "the undeclared read of server.datacenter must not pass unnoticed"
    assert all("ServerSerializer.datacenter_label" in f or "ServerDetailSerializer.datacenter_label" in f
               for f in found), found
    # ... yet the API never dropped it: plain DRF answered in its place.
    assert clients["user"].get("/servers").json()["data"][0]["datacenter_label"].startswith("DC ")


def test_a_declared_read_input_makes_the_newcomer_field_compiled_everywhere(fleet, clients, fresh, monkeypatch):
    _newcomer_field(monkeypatch, compiled.reads(fields.CharField(read_only=True), "datacenter__name"))
    walk.reset()
    found, _ = walk.differences(clients, fresh)
    assert found == []
    web = fleet["web"]
    api = clients["user"]
    assert api.get("/servers").json()["data"][0]["datacenter_label"].startswith("DC ")
    assert api.get(f"/servers/{web.pk}").json()["data"]["datacenter_label"] == "DC North"
    assert api.get("/servers/tree").json()["data"][0]["datacenter_label"].startswith("DC ")
    assert api.get("/search", {"keyword": "web-01"}).json()["data"]["servers"][0]["datacenter_label"] == "DC North"
    assert compiled.FALLBACKS == {}
