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


def test_servers_created_into_a_datacenter_being_deleted_get_the_400_of_a_missing_datacenter(live_server):
    """Parallel POST /servers into a datacenter while it is deleted: each either finds it (201, and
    then the delete is refused for the servers it left) or finds it gone (the 400 a client
    gets without the race); never a 500, never a server without its datacenter."""
    admin = AdminFactory()
    env = EnvironmentFactory()
    dc = Datacenter.objects.create(name="DC-doomed")
    headers = bearer(admin)
    base = f"{live_server.url}/api"

    def create(n):
        return lambda: requests.post(f"{base}/servers", headers=headers, timeout=60, json={
            "name": f"web-{n:02d}", "datacenter_id": dc.id, "environment_id": env.id, "internal_ip": f"10.0.0.{n}"})

    def delete():
        return requests.delete(f"{base}/datacenters/{dc.id}", headers=headers, timeout=60)

    creates = 12  # the test server accepts about this many connections at once
    responses = at_once([delete] + [create(n) for n in range(1, creates + 1)])
    deleted, created = responses[0], responses[1:]
    statuses = [r.status_code for r in created]
    assert set(statuses) <= {201, 400}, [r.text for r in created if r.status_code not in (201, 400)]
    assert {r.json()["errors"]["datacenter_id"][0] for r in created if r.status_code == 400} <= {
        f"Datacenter with id {dc.id} does not exist."}
    made = statuses.count(201)
    if deleted.status_code == 200:
        assert made == 0 and not Datacenter.objects.filter(pk=dc.id).exists()
    else:
        assert deleted.status_code == 422, deleted.text
        assert made >= 1 and Server.objects.filter(datacenter_id=dc.id).count() == made
    assert Server.objects.count() == made


def test_gpus_created_on_a_server_being_deleted_get_the_400_of_a_missing_server(live_server):
    from inventory.models import GPU
    from tests.factories import ServerFactory

    admin = AdminFactory()
    server = ServerFactory()
    headers = bearer(admin)
    base = f"{live_server.url}/api"

    def create(index):
        return lambda: requests.post(f"{base}/gpus", headers=headers, timeout=60, json={
            "server_id": server.id, "model": "A100", "memory_gb": 80, "index": index})

    def delete():
        return requests.delete(f"{base}/servers/{server.id}", headers=headers, timeout=60)

    responses = at_once([delete] + [create(i) for i in range(12)])
    assert responses[0].status_code == 200, responses[0].text
    created = responses[1:]
    assert {r.status_code for r in created} <= {201, 400}, [r.text for r in created if r.status_code not in (201, 400)]
    assert {r.json()["errors"]["server_id"][0] for r in created if r.status_code == 400} <= {
        f"Server with id {server.id} does not exist."}
    assert not GPU.objects.exists()  # those created before the delete went with their server
