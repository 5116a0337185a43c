"""Concurrent GPU assigns through the real HTTP stack (API.md §5): the row lock on the GPU
serialises them, so exactly one wins. Needs PostgreSQL: SQLite has no row locks (its
IMMEDIATE transactions serialise whole writers, which is a different guarantee)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from inventory.models import GPU, GPUAssignment
from tests.factories import AdminFactory, GPUAssignmentFactory, GPUFactory, UserFactory

CLIENTS = 12

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                       reason="row locks (select_for_update) need PostgreSQL; run with DATABASE_URL=postgres://..."),
    pytest.mark.django_db(transaction=True),
]


def hammer(live_server, path, bodies):
    """POST every body to ``path`` at once, each from its own thread (and so its own
    server thread and database connection); returns the responses."""
    token = str(RefreshToken.for_user(AdminFactory()).access_token)
    start = threading.Barrier(len(bodies))

    def call(body):
        start.wait()
        return requests.post(f"{live_server.url}/api{path}", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(call, bodies))


def test_concurrent_assigns_of_one_gpu_exactly_one_wins(live_server):
    gpu = GPUFactory()
    users = UserFactory.create_batch(CLIENTS)
    responses = hammer(live_server, f"/gpus/{gpu.id}/assign", [{"user_id": u.id} for u in users])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [422] * (CLIENTS - 1), [r.text for r in responses if r.status_code not in (200, 422)]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert {r.json()["message"] for r in responses if r.status_code == 422} == {"GPU is not available; release it first."}
    open_assignments = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True)
    assert open_assignments.count() == 1
    gpu.refresh_from_db()
    assert gpu.status == "in_use" and gpu.assigned_to_id == open_assignments.get().user_id == winner["data"]["assigned_to"]


def test_concurrent_releases_exactly_one_wins(live_server):
    gpu = GPUFactory()
    holder = UserFactory()
    GPUAssignmentFactory(gpu=gpu, user=holder)
    responses = hammer(live_server, f"/gpus/{gpu.id}/release", [{} for _ in range(CLIENTS)])
    assert sorted(r.status_code for r in responses) == [200] + [422] * (CLIENTS - 1)
    assert GPUAssignment.objects.get(gpu=gpu).released_at is not None
    assert GPU.objects.get(pk=gpu.pk).status == "free"
