"""GPU reservations through the API (API.md §11.2): book, list, edit, cancel and their rules."""
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment, GpuReservation
from itam.api.fields import format_datetime
from tests.factories import DatacenterFactory, GPUFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


def moment(hours):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


def at(hours):
    return format_datetime(moment(hours))


def book(api, gpu, start=1, end=3, **extra):
    """Book hours from now; a string start/end is sent as given (to compare with it afterwards)."""
    window = {"starts_at": start if isinstance(start, str) else at(start),
              "ends_at": end if isinstance(end, str) else at(end)}
    return api.post("/gpu-reservations", {"gpu_id": gpu.id, **window, **extra})


@pytest.fixture
def gpu():
    server = ServerFactory(name="web-01", datacenter=DatacenterFactory(name="AMS1"))
    return GPUFactory(server=server, model="NVIDIA H100", index=0)


def test_a_user_books_a_gpu_for_themselves(user_api, normal_user, gpu):
    starts_at = at(1)
    response = book(user_api, gpu, start=starts_at, purpose="training")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["message"] == "GPU reservation created."
    data = body["data"]
    assert set(data) == {"id", "gpu_id", "gpu_label", "server_id", "user_id", "user_name", "purpose", "starts_at",
                         "ends_at", "status", "status_reason", "created_at", "updated_at"}
    assert data["gpu_label"] == "NVIDIA H100 #0 on web-01 (AMS1)"
    assert (data["gpu_id"], data["server_id"], data["user_id"], data["user_name"]) == (
        gpu.id, gpu.server_id, normal_user.id, normal_user.display_name)
    assert (data["status"], data["status_reason"], data["starts_at"], data["purpose"]) == (
        "pending", None, starts_at, "training")
    assert user_api.get(f"/gpu-reservations/{data['id']}").json()["data"] == data
    entry = AuditLog.objects.get(resource_type="gpu_reservation", resource_id=data["id"])
    assert (entry.action, entry.user_id, entry.changes["gpu_id"]["new"]) == ("create", normal_user.id, gpu.id)


def test_only_an_admin_books_for_another_user(user_api, admin_api, other_user, gpu):
    assert book(user_api, gpu, user_id=other_user.id).status_code == 403
    response = book(admin_api, gpu, user_id=other_user.id)
    assert (response.status_code, response.json()["data"]["user_id"]) == (201, other_user.id)


@pytest.mark.parametrize("start, end, field", [(3, 2, "ends_at"), (-5, -1, "ends_at"), (1, 1 + 24 * 31, "ends_at")])
def test_window_rules_are_422_on_the_field(user_api, gpu, start, end, field):
    response = book(user_api, gpu, start, end)
    assert response.status_code == 422 and field in response.json()["errors"], response.json()
    assert GpuReservation.objects.count() == 0


def test_the_window_limit_is_a_setting(user_api, gpu, settings):
    settings.RESERVATION_MAX_DAYS = 1
    assert book(user_api, gpu, 1, 26).status_code == 422
    assert book(user_api, gpu, 1, 25).status_code == 201


@pytest.mark.parametrize("body", [{"starts_at": "tomorrow"}, {"ends_at": None}, {"gpu_id": "x"}, {"gpu_id": 999999}])
def test_malformed_values_are_400(user_api, gpu, body):
    payload = {"gpu_id": gpu.id, "starts_at": at(1), "ends_at": at(2), **body}
    response = user_api.post("/gpu-reservations", payload)
    assert response.status_code == 400 and set(body) <= set(response.json()["errors"]), response.json()


def test_a_gpu_in_error_cannot_be_booked(user_api, gpu):
    GPU.objects.filter(pk=gpu.pk).update(status="error")
    response = book(user_api, gpu)
    assert response.status_code == 422 and "gpu_id" in response.json()["errors"]


def test_overlapping_windows_are_refused_adjacent_ones_allowed(user_api, api_as, gpu):
    assert book(user_api, gpu, 1, 3).status_code == 201
    response = book(api_as(UserFactory()), gpu, 2, 4)
    assert response.status_code == 422 and {"starts_at", "ends_at"} <= set(response.json()["errors"])
    assert book(api_as(UserFactory()), gpu, 3, 5).status_code == 201  # [1,3) and [3,5) touch, no overlap
    assert book(api_as(UserFactory()), GPUFactory(), 2, 4).status_code == 201  # another GPU


def test_the_current_assignment_blocks_others_but_not_the_holder(user_api, normal_user, api_as, gpu):
    GPUAssignment.objects.filter(gpu=gpu).delete()
    from tests.factories import GPUAssignmentFactory

    GPUAssignmentFactory(gpu=gpu, user=normal_user, expires_at=timezone.now().replace(microsecond=0) + timedelta(hours=2))
    other = api_as(UserFactory())
    assert book(other, gpu, 1, 3).status_code == 422  # starts before the hold expires
    assert book(other, gpu, 2, 4).status_code == 201  # from the expiry on
    assert book(user_api, gpu, 0.5, 1.5).status_code == 201  # the holder's own next booking


def test_a_hold_without_expiry_blocks_every_window(api_as, gpu):
    from tests.factories import GPUAssignmentFactory

    GPUAssignmentFactory(gpu=gpu, user=UserFactory())
    assert book(api_as(UserFactory()), gpu, 24 * 20, 24 * 21).status_code == 422


def test_list_filters_and_window_overlap(admin_api, normal_user, other_user, gpu):
    second = GPUFactory()
    mine = GpuReservation.objects.create(gpu=gpu, user=normal_user, starts_at=moment(1), ends_at=moment(3))
    theirs = GpuReservation.objects.create(gpu=second, user=other_user, starts_at=moment(5), ends_at=moment(6))

    def ids(**params):
        response = admin_api.get("/gpu-reservations", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["data"]]

    assert ids() == [mine.id, theirs.id]
    assert ids(gpu_id=second.id) == [theirs.id]
    assert ids(user_id=normal_user.id) == [mine.id]
    assert ids(server_id=gpu.server_id) == [mine.id]
    assert ids(datacenter_id=second.server.datacenter_id) == [theirs.id]
    assert ids(status="pending", ordering="-starts_at") == [theirs.id, mine.id]
    def window(start, end=None):
        return {"from": format_datetime(mine.starts_at + timedelta(hours=start - 1)),
                **({"to": format_datetime(mine.starts_at + timedelta(hours=end - 1))} if end else {})}

    assert ids(**window(3, 5)) == []  # touches both windows, overlaps neither
    assert ids(**window(2, 5.5)) == [mine.id, theirs.id]
    assert ids(**window(4)) == [theirs.id]
    for bad in ({"from": "soon"}, {"status": "booked"}, {"gpu_id": "x"}):
        response = admin_api.get("/gpu-reservations", bad)
        assert response.status_code == 400 and set(bad) <= set(response.json()["errors"])


def test_edit_by_the_owner_follows_the_same_rules(user_api, api_as, gpu):
    first = book(user_api, gpu, 1, 3).json()["data"]
    book(api_as(UserFactory()), gpu, 5, 7)
    longer = at(4)
    response = user_api.put(f"/gpu-reservations/{first['id']}", {**first, "ends_at": longer, "purpose": "longer"})
    assert response.status_code == 200 and response.json()["data"]["ends_at"] == longer
    response = user_api.put(f"/gpu-reservations/{first['id']}", {"ends_at": at(6)})
    assert response.status_code == 422  # into the other booking; its own window is ignored
    assert api_as(UserFactory()).put(f"/gpu-reservations/{first['id']}", {"purpose": "x"}).status_code == 403


def test_only_a_pending_reservation_can_be_edited(user_api, normal_user, gpu):
    reservation = GpuReservation.objects.create(gpu=gpu, user=normal_user, status="completed",
                                                starts_at=timezone.now() - timedelta(hours=3),
                                                ends_at=timezone.now() - timedelta(hours=1))
    assert user_api.put(f"/gpu-reservations/{reservation.id}", {"purpose": "x"}).status_code == 422


def test_delete_cancels_and_answers_with_the_reservation(user_api, api_as, gpu):
    data = book(user_api, gpu).json()["data"]
    assert api_as(UserFactory()).delete(f"/gpu-reservations/{data['id']}").status_code == 403
    response = user_api.delete(f"/gpu-reservations/{data['id']}")
    assert response.status_code == 200
    assert (response.json()["data"]["id"], response.json()["data"]["status"]) == (data["id"], "cancelled")
    assert user_api.delete(f"/gpu-reservations/{data['id']}").status_code == 422  # already cancelled
    assert book(api_as(UserFactory()), gpu).status_code == 201  # the window is free again
    entry = AuditLog.objects.filter(resource_type="gpu_reservation", resource_id=data["id"], action="update").get()
    assert entry.changes["status"] == {"old": "pending", "new": "cancelled"}


def test_anonymous_callers_get_401(anon_api, gpu):
    assert anon_api.get("/gpu-reservations").status_code == 401
    assert book(anon_api, gpu).status_code == 401
