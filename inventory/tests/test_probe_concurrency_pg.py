"""Issue 19 §3 and §9 on PostgreSQL through the real HTTP stack: parallel requests that write
the same rows or race a parent's deletion get the answers a client gets without the race."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from inventory.models import Container, Datacenter, PortMapping, Server
from tests.factories import AdminFactory, EnvironmentFactory

from .workbook_helpers import rows_for, xlsx

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                       reason="concurrent writers need PostgreSQL; run with DATABASE_URL=postgres://..."),
    pytest.mark.django_db(transaction=True),
]

PARALLEL = 8


def at_once(calls):
    """Run every call at the same moment, each in its own thread; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def bearer(user):
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def test_identical_parallel_imports_converge(live_server):
    EnvironmentFactory(code="prod")
    admin = AdminFactory(username="admin")
    content = xlsx({
        "Datacenters": rows_for("Datacenters", {"Name": "DC-1"}),
        "Servers": rows_for("Servers", *[{"Datacenter": "DC-1", "Name": f"web-{n:02d}", "Environment": "prod",
                                           "Internal IP": f"10.0.0.{n}"} for n in range(1, 21)]),
        "Containers": rows_for("Containers", *[{"Datacenter": "DC-1", "Server": f"web-{n:02d}", "Name": "app",
                                                 "Owner": "admin", "Port Mappings": '[{"container_port": 80, "internal_port": 8080}]'}
                                                for n in range(1, 21)]),
    })
    headers = bearer(admin)

    def post():
        return requests.post(f"{live_server.url}/api/import-export/import", headers=headers, timeout=120,
                             files={"file": ("inventory.xlsx", content)})

    responses = at_once([post] * PARALLEL)
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses if r.status_code != 200]
    created = [r.json()["data"]["servers"]["created"] for r in responses]
    skipped = [r.json()["data"]["servers"]["skipped"] for r in responses]
    assert sorted(created) == [0] * (PARALLEL - 1) + [20] and sorted(skipped) == [0] + [20] * (PARALLEL - 1)
    assert (Datacenter.objects.count(), Server.objects.count(), Container.objects.count(),
            PortMapping.objects.count()) == (1, 20, 20, 20)
