"""Data types of API.md §1.2/§1.7 in the shared fields, and the fast read path of the base
serializer (it must say exactly what DRF's generic path says)."""
from datetime import datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from inventory.api import serializers as inventory_serializers
from inventory.models import GPU, Container, Datacenter, Environment, Server, Service
from itam.api import fields
from tests.factories import (
    ContainerFactory, GPUAssignmentFactory, GPUFactory, PortMappingFactory, ServerFactory, ServiceFactory, UserFactory,
)

UTC = timezone.utc


@pytest.mark.parametrize("value, expected", [
    (datetime(2025, 3, 1, 8, 15, 42, 999999, tzinfo=UTC), "2025-03-01T08:15:42+00:00"),
    (datetime(2025, 3, 1, 10, 15, 42, tzinfo=timezone(timedelta(hours=2))), "2025-03-01T08:15:42+00:00"),
    (datetime(2025, 3, 1, 8, 15, 42), "2025-03-01T08:15:42+00:00"),
    (None, None),
])
def test_datetimes_render_in_utc_with_seconds_and_offset(value, expected):
    assert fields.format_datetime(value) == expected
    if value is not None:
        assert fields.DateTimeField().to_representation(value) == expected


@pytest.mark.parametrize("text", [
    "2025-03-01T08:15:42Z", "2025-03-01T08:15:42+00:00", "2025-03-01T10:15:42+02:00", "2025-03-01T08:15:42",
    "2025-03-01 08:15:42",
])
def test_datetimes_parse_with_offset_or_z_and_naive_means_utc(text):
    assert fields.DateTimeField().run_validation(text) == datetime(2025, 3, 1, 8, 15, 42, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01T00:00:00Z", 1700000000])
def test_bad_datetimes_are_rejected(text):
    with pytest.raises(serializers.ValidationError):
        fields.DateTimeField().run_validation(text)


def test_blank_datetime_is_null_when_nullable():
    assert fields.DateTimeField(allow_null=True).run_validation("  ") is None


@pytest.mark.parametrize("field, value, expected", [
    (fields.IntegerField(), "16", 16),
    (fields.IntegerField(), " 16 ", 16),
    (fields.IntegerField(), 16.0, 16),
    (fields.FloatField(), "35.5", 35.5),
    (fields.FloatField(), 35, 35.0),
    (fields.FloatField(allow_null=True), "", None),
    (fields.IPAddressField(), "::FFFF:0:0", "::ffff:0.0.0.0"),
    (fields.IPAddressField(), "::ffff:a00:1", "::ffff:10.0.0.1"),
    (fields.IPAddressField(), "0.0.0.0", "0.0.0.0"),
    (fields.CharField(allow_null=True), "  x  ", "x"),
    (fields.ChoiceField(choices=["a", "b"], allow_null=True), " ", None),
])
def test_lenient_inputs(field, value, expected):
    assert field.run_validation(value) == expected


@pytest.mark.parametrize("field, value", [
    (fields.IntegerField(), True),
    (fields.IntegerField(), "16.5"),
    (fields.FloatField(), "inf"),
    (fields.FloatField(), True),
    (fields.IPAddressField(), "010.0.0.1"),
    (fields.IPAddressField(), "1.2.3.4/24"),
    (fields.IPAddressField(allow_null=False), ""),
    (fields.BooleanField(), "true"),
    (fields.BooleanField(), 0),
])
def test_strict_inputs(field, value):
    with pytest.raises(serializers.ValidationError):
        field.run_validation(value)


@pytest.fixture
def fleet(db):
    user = UserFactory(display_name="Bob")
    server = ServerFactory(external_ip="2001:db8::9")
    container = ContainerFactory(server=server, assigned_user=user, cpu_limit=2)
    PortMappingFactory(container=container, external_ip="203.0.113.1", external_port=80)
    ServiceFactory(container=container)
    gpu = GPUFactory(server=server, index=0, status="in_use", assigned_to=user)
    GPUAssignmentFactory(gpu=gpu, user=user, purpose="training")
    GPUFactory(server=server, index=9)
    return server


@pytest.mark.parametrize("serializer_class, queryset", [
    (inventory_serializers.DatacenterSerializer, lambda: Datacenter.objects.all()),
    (inventory_serializers.EnvironmentSerializer, lambda: Environment.objects.all()),
    (inventory_serializers.ServerDetailSerializer, lambda: Server.objects.for_detail()),
    (inventory_serializers.ServerSerializer, lambda: Server.objects.all()),
    (inventory_serializers.ContainerDetailSerializer, lambda: Container.objects.for_detail()),
    (inventory_serializers.ServiceSerializer, lambda: Service.objects.with_related()),
    (inventory_serializers.GPUSerializer, lambda: GPU.objects.with_related()),
    (inventory_serializers.GPUSerializer, lambda: GPU.objects.all()),
])
def test_fast_read_path_matches_drf(fleet, serializer_class, queryset):
    for instance in queryset():
        ours = serializer_class(instance).data
        drf = serializers.ModelSerializer.to_representation(serializer_class(instance), instance)
        assert ours == drf
        assert list(ours) == list(drf)


def test_fields_with_nothing_to_show_are_left_out_as_drf_does(db):
    from itam.api.serializers import ModelSerializer

    class WithOptional(ModelSerializer):
        nickname = fields.CharField(source="no_such_attribute", read_only=True)

        class Meta:
            model = Datacenter
            fields = ["id", "name", "nickname"]

    dc = Datacenter.objects.create(name="North")
    assert WithOptional(dc).data == {"id": dc.pk, "name": "North"}
