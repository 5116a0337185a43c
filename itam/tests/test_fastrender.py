"""The compiled renderer (itam.api.compiled.render) gives what DRF gives, in the corner cases of
fields read from model properties."""
import pytest
from rest_framework import serializers

from inventory.models import Server
from itam.api.compiled.render import Renderer
from tests.factories import ServerFactory


def raises_for_odd_ids(server):
    if server.id % 2:
        raise AttributeError("no value for odd ids")
    return f"{server.name}!"


@pytest.fixture
def with_property(monkeypatch):
    monkeypatch.setattr(Server, "shout", property(raises_for_odd_ids), raising=False)
    monkeypatch.setattr(Server, "nothing", property(lambda server: None), raising=False)


class PropertySerializer(serializers.ModelSerializer):
    shout = serializers.CharField(read_only=True)  # DRF skips it when the property raises
    nothing = serializers.CharField(read_only=True)
    loud = serializers.CharField(source="shout", read_only=True, allow_null=True)  # ... or gives null

    class Meta:
        model = Server
        fields = ["id", "name", "shout", "nothing", "loud"]


def test_properties_render_as_drf_renders_them(db, with_property):
    ServerFactory.create_batch(4)
    queryset = Server.objects.order_by("id")
    expected = [dict(item) for item in PropertySerializer(queryset, many=True).data]
    assert Renderer(PropertySerializer).render_many(queryset) == expected
    assert {"shout" in item for item in expected} == {True, False}  # both cases were met
    assert all(item["nothing"] is None for item in expected)
