"""Reservations under concurrency on PostgreSQL (API.md §11.2): parallel bookings of one GPU
through the real HTTP stack, and two workers running the start job at once."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from inventory.models import GPUAssignment, GpuReservation
from inventory.services import reservation_jobs
from itam.api.fields import format_datetime
from tests.factories import GPUFactory, UserFactory

BOOKINGS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
                       reason="row locks (select_for_update) need PostgreSQL; run with DATABASE_URL=postgres://..."),
    pytest.mark.django_db(transaction=True),
]


def all_at_once(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_overlapping_bookings_of_one_gpu_exactly_one_wins(live_server):
    gpu = GPUFactory()
    base = timezone.now().replace(microsecond=0)
    users = UserFactory.create_batch(BOOKINGS)

    def booking(user, n):
        token = str(RefreshToken.for_user(user).access_token)
        body = {"gpu_id": gpu.id, "starts_at": format_datetime(base + timedelta(hours=1, minutes=n)),
                "ends_at": format_datetime(base + timedelta(hours=3, minutes=n))}
        return lambda: requests.post(f"{live_server.url}/api/gpu-reservations", json=body, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"})

    responses = all_at_once([booking(user, n) for n, user in enumerate(users)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * (BOOKINGS - 1), [r.text for r in responses if r.status_code not in (201, 422)]
    assert GpuReservation.objects.filter(gpu=gpu).count() == 1


def test_two_workers_starting_reservations_at_once_assign_each_gpu_once():
    now = timezone.now()
    booked = [GpuReservation.objects.create(gpu=GPUFactory(), user=UserFactory(), starts_at=now - timedelta(minutes=1),
                                            ends_at=now + timedelta(hours=1)) for _ in range(12)]
    results = all_at_once([reservation_jobs.start_due_reservations, reservation_jobs.start_due_reservations])
    started = [pk for done, _ in results for pk in done]
    assert sorted(started) == sorted(r.pk for r in booked)  # each started by exactly one worker
    assert set(GpuReservation.objects.values_list("status", flat=True)) == {"active"}
    assert GPUAssignment.objects.count() == 12
    assert GPUAssignment.objects.filter(released_at__isnull=True).count() == 12
