"""POST /gpus/{id}/assign, POST /gpus/{id}/release, GET /gpus/{id}/assignments (API.md §5)."""
from datetime import datetime, timedelta, timezone

import pytest
from django.utils import timezone as dj_timezone

from audit.models import AuditLog
from inventory.models import GPU, GPUAssignment
from tests.factories import GPUAssignmentFactory, GPUFactory, ServerFactory, UserFactory, hold

UTC = timezone.utc
HOUR_AGO = dj_timezone.now() - timedelta(hours=1)


def iso(value):
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


@pytest.fixture
def gpu(db):
    return GPUFactory(server=ServerFactory(name="gpu-01"), model="NVIDIA A100", index=0)


@pytest.fixture
def bob(other_user):
    return other_user  # display name "Bob"


def assign(api, gpu_id, **body):
    return api.post(f"/gpus/{gpu_id}/assign", body)


def error(response, status):
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == status and body["data"] is None
    return body


# --- assign ----------------------------------------------------------------------------

def test_assign_a_free_gpu(admin_api, admin_user, gpu, bob):
    expires = dj_timezone.now() + timedelta(days=7)
    response = assign(admin_api, gpu.id, user_id=bob.id, purpose="  LLM fine-tuning ", expires_at=iso(expires))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and body["message"] == "GPU assigned to Bob."
    data = body["data"]
    assignment = GPUAssignment.objects.get(gpu=gpu)
    assert {k: data[k] for k in ("id", "server_name", "assigned_to", "assigned_user_name", "status",
                                 "is_available", "purpose", "assigned_at", "expires_at")} == {
        "id": gpu.id, "server_name": "gpu-01", "assigned_to": bob.id, "assigned_user_name": "Bob",
        "status": "in_use", "is_available": False, "purpose": "LLM fine-tuning",
        "assigned_at": iso(assignment.assigned_at), "expires_at": iso(expires),
    }
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to_id) == ("in_use", bob.id)
    assert (assignment.user_id, assignment.user_name, assignment.assigned_by_id, assignment.assigned_by_name,
            assignment.released_at, assignment.release_reason) == (bob.id, "Bob", admin_user.id, "Administrator",
                                                                   None, None)


def test_assign_with_user_id_only_and_blank_optionals(admin_api, gpu, bob):
    response = assign(admin_api, gpu.id, user_id=str(bob.id), purpose="", expires_at="")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["purpose"], data["expires_at"]) == (None, None)


def test_assign_is_audited_as_assign(admin_api, admin_user, gpu, bob):
    assign(admin_api, gpu.id, user_id=bob.id)
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=gpu.id).exclude(action="create").get()
    assert (entry.action, entry.username, entry.user_id) == ("assign", "admin", admin_user.id)
    assert entry.changes["assigned_to"] == {"old": None, "new": bob.id}
    assert entry.changes["status"] == {"old": "free", "new": "in_use"}


@pytest.mark.parametrize("body, errors", [
    ({}, {"user_id": ["This field is required."]}),
    ({"user_id": None}, {"user_id": ["This field may not be null."]}),
    ({"user_id": "abc"}, {"user_id": ["A valid integer is required."]}),
    ({"user_id": True}, {"user_id": ["A valid integer is required."]}),
    ({"user_id": 1.5}, {"user_id": ["A valid integer is required."]}),
])
def test_assign_user_id_must_be_an_integer(admin_api, gpu, body, errors):
    assert error(admin_api.post(f"/gpus/{gpu.id}/assign", body), 400)["errors"] == errors


def test_assign_purpose_at_most_200(admin_api, gpu, bob):
    body = error(assign(admin_api, gpu.id, user_id=bob.id, purpose="x" * 201), 400)
    assert body["errors"] == {"purpose": ["Ensure this field has no more than 200 characters."]}


@pytest.mark.parametrize("expires_at", ["2020-01-01T00:00:00Z", "yesterday", "2025-02-30T00:00:00Z"])
def test_assign_expiry_must_be_a_future_datetime(admin_api, gpu, bob, expires_at):
    body = error(assign(admin_api, gpu.id, user_id=bob.id, expires_at=expires_at), 400)
    assert list(body["errors"]) == ["expires_at"]
    assert GPU.objects.get(pk=gpu.id).status == "free"


def test_assign_expiry_in_the_past_message(admin_api, gpu, bob):
    body = error(assign(admin_api, gpu.id, user_id=bob.id, expires_at="2020-01-01T00:00:00Z"), 400)
    assert body["errors"] == {"expires_at": ["Expiry must lie in the future."]}


def test_assign_naive_expiry_is_utc(admin_api, gpu, bob):
    expires = (dj_timezone.now() + timedelta(days=1)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    data = assign(admin_api, gpu.id, user_id=bob.id, expires_at=expires.isoformat()).json()["data"]
    assert data["expires_at"] == expires.replace(tzinfo=UTC).isoformat()


def test_assign_unknown_user_is_404(admin_api, gpu):
    body = error(assign(admin_api, gpu.id, user_id=999999), 404)
    assert body["message"] == "User not found."


def test_assign_inactive_user_is_422(admin_api, gpu):
    user = UserFactory(is_active=False)
    body = error(assign(admin_api, gpu.id, user_id=user.id), 422)
    assert body["message"] == "User is inactive and cannot be assigned a GPU."
    assert "errors" not in body  # API.md §1.4: errors only for validation and unique conflicts


@pytest.mark.parametrize("status, assignee", [("in_use", True), ("in_use", False), ("error", False)])
def test_assign_only_a_free_gpu(admin_api, gpu, bob, status, assignee):
    holder = UserFactory() if assignee else None
    GPU.objects.filter(pk=gpu.pk).update(status=status)
    if holder:
        hold(gpu, holder)
    body = error(assign(admin_api, gpu.id, user_id=bob.id), 422)
    assert body["message"] == "GPU is not available; release it first." and "errors" not in body
    assert not GPUAssignment.objects.filter(user=bob).exists()


def test_assign_unknown_gpu_is_404_before_the_body_is_checked(admin_api):
    body = error(admin_api.post("/gpus/999999/assign", {}), 404)
    assert body["message"] == "GPU not found."


def test_assign_is_admin_only(user_api, anon_api, gpu, bob):
    error(assign(user_api, gpu.id, user_id=bob.id), 403)
    error(assign(anon_api, gpu.id, user_id=bob.id), 401)
    assert GPU.objects.get(pk=gpu.id).status == "free"


def test_assign_wrong_method_and_trailing_slash(admin_api, gpu, bob):
    response = admin_api.get(f"/gpus/{gpu.id}/assign")
    error(response, 405)
    assert "POST" in response["Allow"]
    assert admin_api.post(f"/gpus/{gpu.id}/assign/", {"user_id": bob.id}).status_code == 200


def test_assign_body_must_be_an_object(admin_api, gpu):
    response = admin_api.client.post(f"/api/gpus/{gpu.id}/assign", "[1]", content_type="application/json")
    error(response, 400)
    response = admin_api.client.post(f"/api/gpus/{gpu.id}/assign", "{", content_type="application/json")
    error(response, 400)


# --- release ---------------------------------------------------------------------------

def test_release_closes_the_open_assignment(admin_api, admin_user, gpu, bob):
    assign(admin_api, gpu.id, user_id=bob.id, purpose="training")
    response = admin_api.post(f"/gpus/{gpu.id}/release")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "GPU released."
    data = body["data"]
    assert {k: data[k] for k in ("status", "assigned_to", "assigned_user_name", "is_available", "purpose",
                                 "assigned_at", "expires_at")} == {
        "status": "free", "assigned_to": None, "assigned_user_name": None, "is_available": True,
        "purpose": None, "assigned_at": None, "expires_at": None,
    }
    assignment = GPUAssignment.objects.get(gpu=gpu)
    assert assignment.released_at is not None
    assert (assignment.released_by_id, assignment.release_reason) == (admin_user.id, "manual")
    entry = AuditLog.objects.filter(resource_type="gpu", resource_id=gpu.id).order_by("id").last()
    assert (entry.action, entry.username) == ("release", "admin")
    assert entry.changes["assigned_to"] == {"old": bob.id, "new": None}


def test_release_with_a_reason(admin_api, gpu, bob):
    assign(admin_api, gpu.id, user_id=bob.id)
    assert admin_api.post(f"/gpus/{gpu.id}/release", {"reason": "job finished"}).status_code == 200
    assert GPUAssignment.objects.get(gpu=gpu).release_reason == "job finished"


def test_release_blank_reason_means_manual(admin_api, gpu, bob):
    assign(admin_api, gpu.id, user_id=bob.id)
    admin_api.post(f"/gpus/{gpu.id}/release", {"reason": " "})
    assert GPUAssignment.objects.get(gpu=gpu).release_reason == "manual"


def test_release_reason_at_most_200(admin_api, gpu, bob):
    assign(admin_api, gpu.id, user_id=bob.id)
    body = error(admin_api.post(f"/gpus/{gpu.id}/release", {"reason": "x" * 201}), 400)
    assert list(body["errors"]) == ["reason"]
    assert GPU.objects.get(pk=gpu.id).status == "in_use"


def test_release_a_free_gpu_is_422(admin_api, gpu):
    body = error(admin_api.post(f"/gpus/{gpu.id}/release"), 422)
    assert body["message"] == "GPU is already free."


@pytest.mark.parametrize("status", ["error", "in_use"])
def test_release_without_assignee_works_from_error_and_in_use(admin_api, gpu, status):
    GPU.objects.filter(pk=gpu.pk).update(status=status)
    assert admin_api.post(f"/gpus/{gpu.id}/release").status_code == 200
    assert GPU.objects.get(pk=gpu.id).status == "free"
    assert GPUAssignment.objects.count() == 0


def test_release_unknown_gpu_and_permissions(admin_api, user_api, anon_api, gpu):
    assert error(admin_api.post("/gpus/999999/release"), 404)["message"] == "GPU not found."
    error(user_api.post(f"/gpus/{gpu.id}/release"), 403)
    error(anon_api.post(f"/gpus/{gpu.id}/release"), 401)


def test_reassign_after_release(admin_api, gpu, bob):
    carol = UserFactory(display_name="Carol")
    assign(admin_api, gpu.id, user_id=bob.id)
    error(assign(admin_api, gpu.id, user_id=carol.id), 422)
    admin_api.post(f"/gpus/{gpu.id}/release")
    assert assign(admin_api, gpu.id, user_id=carol.id).json()["message"] == "GPU assigned to Carol."
    assert GPUAssignment.objects.filter(gpu=gpu).count() == 2
    assert GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).get().user_id == carol.id


# --- history ---------------------------------------------------------------------------

def test_history_fields_and_default_order(user_api, admin_user, gpu, bob):
    first = GPUAssignmentFactory(
        gpu=gpu, user=bob, assigned_by=admin_user, assigned_by_name="Administrator", purpose="a",
        assigned_at=datetime(2025, 1, 1, 8, 0, 0, 123456, tzinfo=UTC),
        released_at=datetime(2025, 1, 2, 8, 0, tzinfo=UTC), released_by=admin_user, release_reason="manual",
    )
    second = GPUAssignmentFactory(gpu=gpu, user=bob, assigned_at=datetime(2025, 2, 1, tzinfo=UTC),
                                  expires_at=datetime(2025, 3, 1, tzinfo=UTC))
    GPUAssignmentFactory(gpu=GPUFactory(), user=bob)  # another GPU's history
    response = user_api.get(f"/gpus/{gpu.id}/assignments")
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "page_size": 20, "total": 2, "pages": 1}
    assert body["data"] == [
        {"id": second.id, "gpu_id": gpu.id, "user_id": bob.id, "user_name": "Bob", "assigned_by_id": None,
         "assigned_by_name": "Admin", "purpose": None, "assigned_at": "2025-02-01T00:00:00+00:00",
         "expires_at": "2025-03-01T00:00:00+00:00", "released_at": None, "released_by_id": None,
         "release_reason": None},
        {"id": first.id, "gpu_id": gpu.id, "user_id": bob.id, "user_name": "Bob",
         "assigned_by_id": admin_user.id, "assigned_by_name": "Administrator", "purpose": "a",
         "assigned_at": "2025-01-01T08:00:00+00:00", "expires_at": None,
         "released_at": "2025-01-02T08:00:00+00:00", "released_by_id": admin_user.id, "release_reason": "manual"},
    ]


def test_history_keeps_names_of_deleted_users(user_api, gpu):
    gone = UserFactory(display_name="Gone")
    GPUAssignmentFactory(gpu=gpu, user=gone, assigned_at=HOUR_AGO, released_at=dj_timezone.now())
    gone.delete()
    row = user_api.get(f"/gpus/{gpu.id}/assignments").json()["data"][0]
    assert (row["user_id"], row["user_name"]) == (None, "Gone")


def test_history_ordering_and_pagination(user_api, gpu, bob):
    ids = [GPUAssignmentFactory(gpu=gpu, user=bob, assigned_at=datetime(2025, 1, day, tzinfo=UTC),
                                released_at=datetime(2025, 1, day, 1, tzinfo=UTC)).id for day in (3, 1, 2)]
    data = user_api.get(f"/gpus/{gpu.id}/assignments", {"ordering": "assigned_at"}).json()["data"]
    assert [row["id"] for row in data] == [ids[1], ids[2], ids[0]]
    body = user_api.get(f"/gpus/{gpu.id}/assignments", {"ordering": "-id", "page_size": 2, "page": 2}).json()
    assert [row["id"] for row in body["data"]] == [ids[0]]
    assert body["pagination"] == {"page": 2, "page_size": 2, "total": 3, "pages": 2}


def test_history_bad_ordering_is_400(user_api, gpu):
    body = error(user_api.get(f"/gpus/{gpu.id}/assignments", {"ordering": "user_name"}), 400)
    assert list(body["errors"]) == ["ordering"]


def test_history_of_unknown_gpu_is_404(user_api, anon_api, gpu):
    assert error(user_api.get("/gpus/999999/assignments"), 404)["message"] == "GPU not found."
    error(anon_api.get(f"/gpus/{gpu.id}/assignments"), 401)


def test_history_query_count_is_constant(user_api, gpu, bob, django_assert_num_queries):
    GPUAssignmentFactory(gpu=gpu, user=bob, assigned_at=HOUR_AGO, released_at=dj_timezone.now())
    # 1 to authenticate (user and token blacklist), GPU exists, count, page.
    with django_assert_num_queries(4):
        user_api.get(f"/gpus/{gpu.id}/assignments")
    for _ in range(10):
        GPUAssignmentFactory(gpu=gpu, user=bob, assigned_at=HOUR_AGO, released_at=dj_timezone.now())
    with django_assert_num_queries(4):
        assert len(user_api.get(f"/gpus/{gpu.id}/assignments").json()["data"]) == 11
