"""Rules that must hold across application processes, checked against real gunicorn workers.

One gunicorn with two sync workers runs against the test database (SQLite file or
PostgreSQL, whichever the suite uses). Requests go out in concurrent bursts so that both
workers serve them; the access log (pid per X-Request-ID) proves that they did.
"""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

from accounts.models import User
from accounts.throttling import LoginRateThrottle
from inventory.models import GPU, GPUAssignment
from tests.factories import AdminFactory, GPUFactory, UserFactory
from tests.live import LiveServer, current_database_url

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory's password
LIMIT = LoginRateThrottle().parse_rate(settings.LOGIN_THROTTLE_RATE)[0]


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        database_url = current_database_url()
    with LiveServer(database_url, workers=2) as server:
        yield server


def burst(live, calls):
    """Send (method, path, kwargs) calls at once; -> [(request id, response)] in call order."""

    def send(call):
        method, path, kwargs = call
        rid = uuid.uuid4().hex
        headers = {**kwargs.get("headers", {}), "X-Request-ID": rid}
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        return rid, requests.request(method, live.url(path), headers=headers, timeout=30, **rest)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def assert_both_workers_served(live, results):
    served = live.workers_serving([rid for rid, _ in results])
    assert len(served) == len(results), "every request is in the access log"
    assert len(set(served.values())) == 2, f"both workers served the burst: {served}"


def login(live, username, password=PASSWORD):
    response = requests.post(live.url("/api/auth/login"), json={"username": username, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def unique_name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def test_login_throttle_is_one_budget_across_workers(live):
    user = UserFactory(username=unique_name("mp"))
    wrong = ("post", "/api/auth/login", {"json": {"username": user.username, "password": "wrong-password"}})
    first = burst(live, [wrong] * LIMIT)
    assert [r.status_code for _, r in first] == [401] * LIMIT
    assert_both_workers_served(live, first)

    # The budget is spent in both workers at once: every further attempt is refused,
    # the right password included, whichever worker answers.
    right = ("post", "/api/auth/login", {"json": {"username": user.username, "password": PASSWORD}})
    after = burst(live, [right] * 6)
    assert [r.status_code for _, r in after] == [429] * 6
    assert all(r.json()["code"] == 429 and int(r.headers["Retry-After"]) >= 1 for _, r in after)
    assert_both_workers_served(live, after)


def test_revoked_token_is_refused_by_every_worker(live):
    user = UserFactory(username=unique_name("mp"))
    tokens = login(live, user.username)
    me = ("get", "/api/auth/me", {"headers": bearer(tokens["access_token"])})
    before = burst(live, [me] * 6)
    assert [r.status_code for _, r in before] == [200] * 6
    assert_both_workers_served(live, before)

    logout = requests.post(live.url("/api/auth/logout"), headers=bearer(tokens["access_token"]),
                           json={"refresh_token": tokens["refresh_token"]}, timeout=30)
    assert logout.status_code == 200

    after = burst(live, [me] * 6)
    assert [r.status_code for _, r in after] == [401] * 6
    assert_both_workers_served(live, after)
    refresh = ("post", "/api/auth/refresh", {"json": {"refresh_token": tokens["refresh_token"]}})
    refreshed = burst(live, [refresh] * 4)
    assert [r.status_code for _, r in refreshed] == [401] * 4


def test_password_change_keeps_only_the_callers_token_in_every_worker(live):
    user = UserFactory(username=unique_name("mp"))
    caller, other = login(live, user.username), login(live, user.username)
    changed = requests.post(live.url("/api/auth/change-password"), headers=bearer(caller["access_token"]),
                            json={"old_password": PASSWORD, "new_password": "Another-pass-456"}, timeout=30)
    assert changed.status_code == 200, changed.text
    new = changed.json()["data"]["access_token"]

    def me(token):
        return "get", "/api/auth/me", {"headers": bearer(token)}

    def refresh(token):
        return "post", "/api/auth/refresh", {"json": {"refresh_token": token}}

    results = burst(live, [me(caller["access_token"])] * 4 + [me(other["access_token"])] * 4 + [me(new)] * 4)
    assert [r.status_code for _, r in results] == [200] * 4 + [401] * 4 + [200] * 4
    assert_both_workers_served(live, results)
    refreshed = burst(live, [refresh(caller["refresh_token"])] * 2 + [refresh(other["refresh_token"])] * 2)
    assert [r.status_code for _, r in refreshed] == [401] * 4


def test_concurrent_assigns_of_one_gpu_let_exactly_one_win(live):
    admin = AdminFactory(username=unique_name("mpadmin"))
    token = login(live, admin.username)["access_token"]
    users = [UserFactory(username=unique_name("mpu")) for _ in range(8)]
    gpus = [GPUFactory() for _ in range(3)]
    all_results = []
    for gpu in gpus:
        calls = [("post", f"/api/gpus/{gpu.pk}/assign", {"headers": bearer(token), "json": {"user_id": u.pk}})
                 for u in users]
        results = burst(live, calls)
        all_results += results
        statuses = sorted(r.status_code for _, r in results)
        assert statuses == [200] + [422] * (len(users) - 1), [r.text for _, r in results]
        winner = next(r.json()["data"]["assigned_to"] for _, r in results if r.status_code == 200)
        gpu.refresh_from_db()
        assert gpu.status == "in_use" and gpu.assigned_to_id == winner
        open_assignments = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True)
        assert list(open_assignments.values_list("user_id", flat=True)) == [winner]
    assert_both_workers_served(live, all_results)
    assert GPU.objects.filter(pk__in=[g.pk for g in gpus], status="in_use").count() == 3
    assert User.objects.filter(pk__in=[u.pk for u in users]).count() == 8


def _health_requests(live):
    """itam_http_requests_total for /api/health, as one scrape (any worker) reports it."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(live.url("/metrics"), timeout=30).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "itam_http_requests_total" and sample.labels["view"] == "api-health")


def test_metrics_add_up_the_requests_every_worker_served(live):
    before = _health_requests(live)
    results = burst(live, [("get", "/api/health", {})] * 12)
    assert_both_workers_served(live, results)
    assert [_health_requests(live) - before for _ in range(4)] == [12] * 4  # whichever worker scrapes
