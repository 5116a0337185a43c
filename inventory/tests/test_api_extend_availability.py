"""``POST /gpus/{id}/extend`` (API.md §11.1) and ``GET /gpus/availability`` (§11.3)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment, GpuReservation
from itam.api.fields import format_datetime
from tests.factories import DatacenterFactory, GPUAssignmentFactory, GPUFactory, ServerFactory, UserFactory

pytestmark = pytest.mark.django_db


def moment(hours):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


def at(hours):
    return format_datetime(moment(hours))


@pytest.fixture
def held(normal_user):
    gpu = GPUFactory()
    GPUAssignmentFactory(gpu=gpu, user=normal_user, expires_at=moment(2))
    return gpu


def test_the_holder_extends_and_the_gpu_entry_records_it(user_api, normal_user, held):
    earlier = format_datetime(GPUAssignment.objects.get(gpu=held).expires_at)
    later = at(5)
    response = user_api.post(f"/gpus/{held.id}/extend", {"expires_at": later})
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["expires_at"] == later
    assert response.json()["data"]["id"] == held.id
    assert format_datetime(GPUAssignment.objects.get(gpu=held, released_at__isnull=True).expires_at) == later
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=held.id).latest("id")
    assert (entry.action, entry.user_id) == ("update", normal_user.id)
    assert entry.changes == {"expires_at": {"old": earlier, "new": later}}


def test_only_the_holder_or_an_admin_extends(api_as, admin_api, held):
    assert api_as(UserFactory()).post(f"/gpus/{held.id}/extend", {"expires_at": at(5)}).status_code == 403
    assert admin_api.post(f"/gpus/{held.id}/extend", {"expires_at": at(6)}).status_code == 200


def test_no_expiry_is_for_admins(user_api, admin_api, held):
    assert user_api.post(f"/gpus/{held.id}/extend", {"expires_at": None}).status_code == 403
    response = admin_api.post(f"/gpus/{held.id}/extend", {"expires_at": None})
    assert (response.status_code, response.json()["data"]["expires_at"]) == (200, None)


@pytest.mark.parametrize("body", [{"expires_at": "later"}, {}, {"expires_at": "2020-01-01T00:00:00Z"}])
def test_a_bad_or_past_expiry_is_400(user_api, held, body):
    response = user_api.post(f"/gpus/{held.id}/extend", body)
    assert response.status_code == 400 and "expires_at" in response.json()["errors"], response.json()


def test_a_gpu_not_in_use_cannot_be_extended(admin_api):
    gpu = GPUFactory()
    assert admin_api.post(f"/gpus/{gpu.id}/extend", {"expires_at": at(5)}).status_code == 422
    assert admin_api.post("/gpus/999999/extend", {"expires_at": at(5)}).status_code == 404


def test_extending_into_another_users_booking_is_refused(user_api, other_user, held):
    booking = GpuReservation.objects.create(gpu=held, user=other_user, starts_at=moment(3), ends_at=moment(4))
    response = user_api.post(f"/gpus/{held.id}/extend", {"expires_at": at(3.5)})
    assert response.status_code == 422
    message = response.json()["errors"]["expires_at"][0]
    start = format_datetime(booking.starts_at)
    assert str(booking.id) in message and other_user.display_name in message and start in message
    assert user_api.post(f"/gpus/{held.id}/extend", {"expires_at": start}).status_code == 200  # up to its start


def test_the_holders_own_next_booking_is_fine(user_api, normal_user, held):
    GpuReservation.objects.create(gpu=held, user=normal_user, starts_at=moment(3), ends_at=moment(4))
    assert user_api.post(f"/gpus/{held.id}/extend", {"expires_at": at(3.5)}).status_code == 200


def test_availability_lists_gpus_free_for_the_whole_window(user_api, other_user):
    dc = DatacenterFactory(name="AMS1")
    server = ServerFactory(name="web-01", datacenter=dc)
    free, booked, in_error, held_forever, held_until_1 = (GPUFactory(server=server, index=i, model="NVIDIA H100")
                                                         for i in range(5))
    other_model = GPUFactory(server=server, index=5, model="AMD MI300")
    GPU.objects.filter(pk=in_error.pk).update(status="error")
    GpuReservation.objects.create(gpu=booked, user=other_user, starts_at=moment(2), ends_at=moment(3))
    GPUAssignmentFactory(gpu=held_forever, user=other_user)
    GPUAssignmentFactory(gpu=held_until_1, user=UserFactory(), expires_at=moment(1))

    def ids(**params):
        response = user_api.get("/gpus/availability", {"from": at(1), "to": at(4), **params})
        assert response.status_code == 200, response.json()
        return [gpu["id"] for gpu in response.json()["data"]]

    assert ids() == [free.id, held_until_1.id, other_model.id]
    assert ids(model="h100") == [free.id, held_until_1.id]
    assert ids(server_id=server.id, datacenter_id=dc.id, count=3) == [free.id, held_until_1.id, other_model.id]
    assert ids(count=4) == []  # fewer than asked for
    assert ids(datacenter_id=DatacenterFactory().id) == []
    data = user_api.get("/gpus/availability", {"from": at(1), "to": at(4)}).json()["data"][0]
    assert data == user_api.get(f"/gpus/{free.id}").json()["data"]


@pytest.mark.parametrize("params", [{}, {"from": "x", "to": "y"}, {"count": "two"}, {"count": 0}])
def test_availability_needs_a_valid_window(user_api, params):
    query = {"from": at(1), "to": at(2)} if "from" not in params and params else {}
    response = user_api.get("/gpus/availability", {**query, **params})
    assert response.status_code == 400, response.json()


def test_availability_window_must_be_ordered(user_api):
    response = user_api.get("/gpus/availability", {"from": at(2), "to": at(1)})
    assert response.status_code == 400 and "to" in response.json()["errors"]
