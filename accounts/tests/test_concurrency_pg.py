"""Races the accounts rules must win on PostgreSQL (row locks, unique blacklist rows):
one refresh token rotated by two requests at once, two admins demoted at once."""
import threading

import pytest
from django.db import connection, connections

from accounts import services
from accounts.choices import Role
from accounts.models import User
from conftest import ApiClient
from itam.errors import DomainError, Unauthenticated
from tests.factories import AdminFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def race(*calls):
    """Run the calls in parallel threads, released together; each result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except DomainError as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_refresh_token_rotates_once_under_concurrency():
    user = AdminFactory(username="racer")
    refresh = services.issue_tokens(user)["refresh_token"]
    for _ in range(3):
        results = race(*[lambda: services.rotate_refresh_token(refresh)] * 4)
        successes = [r for r in results if isinstance(r, dict)]
        assert len(successes) == 1, results
        assert [(type(r), r.message) for r in results if not isinstance(r, dict)] == [
            (Unauthenticated, "Token has been revoked.")] * 3  # a 401 on the API
        refresh = successes[0]["refresh_token"]


def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    first, second = AdminFactory(username="first"), AdminFactory(username="second")
    as_first, as_second = ApiClient(first), ApiClient(second)
    for _ in range(3):
        User.objects.filter(pk__in=[first.pk, second.pk]).update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        results = race(
            lambda: as_first.put(f"/users/{second.pk}", {"role": "user"}).status_code,
            lambda: as_second.put(f"/users/{first.pk}", {"role": "user"}).status_code,
        )
        # The loser is refused as the last admin (422) or, if it arrives after being demoted, as a user (403).
        assert sorted(results) in ([200, 403], [200, 422]), results
        assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1
