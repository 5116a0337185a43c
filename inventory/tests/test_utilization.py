"""GET /gpus/utilization: GPU-hours over a window (API.md §5)."""
from datetime import datetime, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from tests.factories import (
    DatacenterFactory, GPUAssignmentFactory, GPUFactory, ServerFactory, UserFactory,
)

UTC = timezone.utc
WINDOW = {"start_date": "2025-03-01", "end_date": "2025-03-02"}  # 48 hours


def at(day, hour, minute=0):
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC) if day > 0 else datetime(2025, 2, 28 + day, hour, minute, tzinfo=UTC)


@pytest.fixture
def fleet(db):
    """Two servers in two datacenters; bob, carol and a user deleted later."""
    bob = UserFactory(username="bob", display_name="Bob")
    carol = UserFactory(username="carol", display_name="Carol")
    gone = UserFactory(username="gone", display_name="Gone")
    north, south = DatacenterFactory(name="North"), DatacenterFactory(name="South")
    s1 = ServerFactory(name="gpu-01", datacenter=north)
    s2 = ServerFactory(name="gpu-02", datacenter=south)
    g1 = GPUFactory(server=s1, model="A100", index=0)
    g2 = GPUFactory(server=s1, model="A100", index=1)
    g3 = GPUFactory(server=s2, model="H100", index=0)
    GPUFactory(server=s2, model="L4", index=1)  # never assigned
    span = GPUAssignmentFactory
    span(gpu=g1, user=bob, assigned_at=at(0, 12), released_at=at(1, 6))  # 6 h inside (starts before)
    span(gpu=g2, user=bob, assigned_at=at(2, 20), released_at=at(5, 0))  # 4 h inside (ends after)
    span(gpu=g1, user=carol, assigned_at=at(1, 10), released_at=at(1, 12, 30))  # 2.5 h
    span(gpu=g1, user=carol, assigned_at=at(-20, 0), released_at=at(-18, 0))  # before the window
    span(gpu=g1, user=carol, assigned_at=at(3, 0), released_at=None)  # after the window, open
    # Across every window: 48 h. A deleted user holds nothing, so it ends (tomorrow) before gone leaves.
    span(gpu=g3, user=gone, assigned_at=at(-1, 0), released_at=dj_timezone.now() + timedelta(days=1))
    gone.delete()  # the assignment keeps user_name "Gone", user_id null
    return dict(bob=bob, carol=carol, g1=g1, g2=g2, g3=g3, s1=s1, s2=s2, north=north)


def rows(api, **params):
    response = api.get("/gpus/utilization", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["code"] == 0 and "pagination" not in body
    return body["data"]


def test_group_by_user_counts_only_the_overlap(user_api, fleet):
    assert rows(user_api, **WINDOW) == [
        {"user_id": None, "user_name": "Gone", "gpu_hours": 48.0, "assignments": 1, "gpus": 1},
        {"user_id": fleet["bob"].id, "user_name": "Bob", "gpu_hours": 10.0, "assignments": 2, "gpus": 2},
        {"user_id": fleet["carol"].id, "user_name": "Carol", "gpu_hours": 2.5, "assignments": 1, "gpus": 1},
    ]


def test_group_by_user_is_the_default_and_empty_params_are_ignored(user_api, fleet):
    assert rows(user_api, group_by="", datacenter_id="", **WINDOW) == rows(user_api, **WINDOW)


def test_group_by_gpu(user_api, fleet):
    g1, g2, g3 = fleet["g1"], fleet["g2"], fleet["g3"]
    assert rows(user_api, group_by="gpu", **WINDOW) == [
        {"gpu_id": g3.id, "gpu_name": "H100 on gpu-02", "gpu_hours": 48.0, "assignments": 1, "gpus": 1},
        {"gpu_id": g1.id, "gpu_name": "A100 on gpu-01", "gpu_hours": 8.5, "assignments": 2, "gpus": 1},
        {"gpu_id": g2.id, "gpu_name": "A100 on gpu-01", "gpu_hours": 4.0, "assignments": 1, "gpus": 1},
    ]


def test_group_by_server(user_api, fleet):
    assert rows(user_api, group_by="server", **WINDOW) == [
        {"server_id": fleet["s2"].id, "server_name": "gpu-02", "gpu_hours": 48.0, "assignments": 1, "gpus": 1},
        {"server_id": fleet["s1"].id, "server_name": "gpu-01", "gpu_hours": 12.5, "assignments": 3, "gpus": 2},
    ]


def test_group_by_model_lists_unused_models_with_zero(user_api, fleet):
    assert rows(user_api, group_by="model", **WINDOW) == [
        {"model": "H100", "gpu_hours": 48.0, "assignments": 1, "gpus": 1},
        {"model": "A100", "gpu_hours": 12.5, "assignments": 3, "gpus": 2},
        {"model": "L4", "gpu_hours": 0.0, "assignments": 0, "gpus": 0},
    ]


def test_datacenter_filter(user_api, fleet):
    data = rows(user_api, group_by="model", datacenter_id=fleet["north"].id, **WINDOW)
    assert data == [{"model": "A100", "gpu_hours": 12.5, "assignments": 3, "gpus": 2}]


def test_default_window_counts_open_assignments_up_to_now(user_api, fleet):
    now = dj_timezone.now()
    bob = fleet["bob"]
    gpu = GPUFactory(server=fleet["s1"], index=5)
    GPUAssignmentFactory(gpu=gpu, user=bob, assigned_at=now - timedelta(hours=10))
    GPUAssignmentFactory(gpu=fleet["g2"], user=bob, assigned_at=now - timedelta(days=40),
                         released_at=now - timedelta(days=29))  # 1 day inside the 30-day window
    data = rows(user_api)
    # Carol's and Gone's assignments run since before the window: all 30 days each;
    # on equal hours a known user comes before a deleted one.
    assert [(r["user_name"], r["gpu_hours"]) for r in data] == [("Carol", 720.0), ("Gone", 720.0), ("Bob", 34.0)]
    assert data[2] == {"user_id": bob.id, "user_name": "Bob", "gpu_hours": 34.0, "assignments": 2, "gpus": 2}


def test_single_day_window(user_api, fleet):
    data = rows(user_api, start_date="2025-03-01", end_date="2025-03-01", group_by="server")
    assert data == [
        {"server_id": fleet["s2"].id, "server_name": "gpu-02", "gpu_hours": 24.0, "assignments": 1, "gpus": 1},
        {"server_id": fleet["s1"].id, "server_name": "gpu-01", "gpu_hours": 8.5, "assignments": 2, "gpus": 1},
    ]


@pytest.mark.parametrize("params, field", [
    ({"start_date": "2025-13-01"}, "start_date"),
    ({"end_date": "03/01/2025"}, "end_date"),
    ({"start_date": "2025-03-01T00:00:00"}, "start_date"),
    ({"start_date": "2025-03-02", "end_date": "2025-03-01"}, "start_date"),
    ({"group_by": "team"}, "group_by"),
    ({"datacenter_id": "abc"}, "datacenter_id"),
])
def test_bad_parameters_are_400(user_api, params, field):
    response = user_api.get("/gpus/utilization", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["data"] is None
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("params, servers", [
    ({"end_date": "9999-12-31"}, []),  # the 30 days before the end of 9999
    ({"end_date": "0001-01-02"}, []),  # the 30 days before that reach past the start of the calendar
    ({"start_date": "0001-01-01", "end_date": "9999-12-31"}, ["gpu-01", "gpu-02"]),  # all history up to now
])
def test_dates_at_the_ends_of_the_calendar(user_api, fleet, params, servers):
    data = rows(user_api, group_by="server", **params)
    assert sorted(r["server_name"] for r in data) == servers
    assert all(r["gpu_hours"] > 48 for r in data)


def test_start_after_end_message(user_api):
    body = user_api.get("/gpus/utilization", {"start_date": "2025-03-02", "end_date": "2025-03-01"}).json()
    assert body["errors"] == {"start_date": ["start_date must not be after end_date."]}


def test_requires_authentication(anon_api):
    assert anon_api.get("/gpus/utilization").status_code == 401


def test_query_count_does_not_grow_with_history(user_api, fleet, django_assert_num_queries):
    # 1 to authenticate (user and token blacklist), then assignments and models.
    with django_assert_num_queries(3):
        rows(user_api, group_by="model", **WINDOW)
    for day in range(1, 20):
        GPUAssignmentFactory(gpu=fleet["g2"], user=fleet["bob"], assigned_at=at(-day, 0), released_at=at(-day, 1))
    with django_assert_num_queries(3):
        rows(user_api, group_by="model", start_date="2025-02-01", end_date="2025-03-02")
