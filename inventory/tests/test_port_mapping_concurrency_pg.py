"""Concurrent creates claiming one external address through the real HTTP stack: exactly one
wins, the others get the same 422 as a sequential duplicate (the database's unique
constraint caught by the container service), never a 500. Needs PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from inventory.models import PortMapping
from tests.factories import AdminFactory, DatacenterFactory, ServerFactory

CLIENTS = 8

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                       reason="concurrent writers need PostgreSQL; run with DATABASE_URL=postgres://..."),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_creates_of_one_external_address_exactly_one_wins(live_server):
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"))
    token = str(RefreshToken.for_user(AdminFactory()).access_token)
    start = threading.Barrier(CLIENTS)

    def create(n):
        start.wait()
        return requests.post(f"{live_server.url}/api/containers", timeout=60,
                             headers={"Authorization": f"Bearer {token}"}, json={"name": f"api-{n:02d}", "server_id": server.pk, "port_mappings": [
                                 {"container_port": 80, "internal_port": 8080, "external_ip": "203.0.113.10",
                                  "external_port": 8080}]})

    with ThreadPoolExecutor(CLIENTS) as pool:
        responses = list(pool.map(create, range(CLIENTS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * (CLIENTS - 1)
    [winner] = [r.json()["data"]["name"] for r in responses if r.status_code == 201]
    for refused in (r.json() for r in responses if r.status_code == 422):
        assert refused["errors"] == {"port_mappings.0.external_port": [
            f"External address 203.0.113.10:8080/tcp is already used by container {winner} on web-01 (AMS1)."]}
    assert PortMapping.objects.count() == 1
