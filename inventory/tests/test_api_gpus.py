"""/gpus CRUD and the status rule (API.md §3.8)."""
from datetime import datetime, timezone

import pytest

from conftest import ApiClient
from inventory.models import GPU, GPUAssignment
from tests.factories import DatacenterFactory, GPUAssignmentFactory, GPUFactory, ServerFactory

GPU_FIELDS = {
    "id", "server_id", "server_name", "assigned_to", "assigned_user_name", "model", "memory_gb", "index",
    "gpu_usage", "memory_usage", "status", "is_available", "purpose", "assigned_at", "expires_at", "description",
    "sort_order", "created_at", "updated_at",
}


@pytest.fixture
def server(db):
    return ServerFactory(name="gpu-01")


@pytest.fixture
def held_gpu(server, other_user):
    """A GPU assigned to Bob, as POST /gpus/{id}/assign leaves it."""
    gpu = GPUFactory(server=server, index=0, status="in_use", assigned_to=other_user)
    GPUAssignmentFactory(gpu=gpu, user=other_user, purpose="LLM fine-tuning",
                         assigned_at=datetime(2025, 2, 3, 11, 0, 0, 123456, tzinfo=timezone.utc))
    return gpu


def test_create_returns_the_gpu_object(admin_api, server):
    response = admin_api.post("/gpus", {"server_id": server.pk, "model": " NVIDIA A100 ", "memory_gb": "80",
                                        "index": "2", "gpu_usage": "0", "assigned_to": 5, "sort_order": 3})
    assert response.status_code == 201 and response.json()["message"] == "GPU created."
    data = response.json()["data"]
    assert set(data) == GPU_FIELDS
    gpu = GPU.objects.get()
    assert data == {
        "id": gpu.pk, "server_id": server.pk, "server_name": "gpu-01", "assigned_to": None,
        "assigned_user_name": None, "model": "NVIDIA A100", "memory_gb": 80, "index": 2, "gpu_usage": 0.0,
        "memory_usage": 0.0, "status": "free", "is_available": True, "purpose": None, "assigned_at": None,
        "expires_at": None, "description": None, "sort_order": 0,
        "created_at": data["created_at"], "updated_at": data["updated_at"],
    }


def test_open_assignment_fields_come_from_the_assignment(user_api, held_gpu):
    data = user_api.get(f"/gpus/{held_gpu.pk}").json()["data"]
    assert (data["assigned_to"], data["assigned_user_name"], data["status"], data["is_available"]) == (
        held_gpu.assigned_to_id, "Bob", "in_use", False)
    assert (data["purpose"], data["assigned_at"], data["expires_at"]) == (
        "LLM fine-tuning", "2025-02-03T11:00:00+00:00", None)


def test_closed_assignments_do_not_show(user_api, server, other_user):
    gpu = GPUFactory(server=server)
    GPUAssignmentFactory(gpu=gpu, user=other_user, purpose="old",
                         released_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert user_api.get(f"/gpus/{gpu.pk}").json()["data"]["purpose"] is None


@pytest.mark.parametrize("field, value, message", [
    ("server_id", 9999, "Server with id 9999 does not exist."),
    ("memory_gb", 0, "Ensure this value is greater than or equal to 1."),
    ("memory_gb", 1025, "Ensure this value is less than or equal to 1024."),
    ("index", 16, "Ensure this value is less than or equal to 15."),
    ("status", "busy", '"busy" is not a valid choice.'),
    ("model", "", "This field may not be blank."),
    ("gpu_usage", "lots", "A valid number is required."),
])
def test_invalid_fields_are_400(admin_api, server, field, value, message):
    response = admin_api.post("/gpus", {"server_id": server.pk, "model": "A100", "memory_gb": 80, field: value})
    assert response.status_code == 400 and response.json()["errors"] == {field: [message]}


def test_index_clash_on_the_server_is_422_on_index(admin_api, server):
    GPUFactory(server=server, index=1)
    response = admin_api.post("/gpus", {"server_id": server.pk, "model": "A100", "memory_gb": 80, "index": 1})
    message = "This server already has a GPU with this index."
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": message, "data": None, "errors": {"index": [message]}}
    other = ServerFactory()
    assert admin_api.post("/gpus", {"server_id": other.pk, "model": "A100", "memory_gb": 80, "index": 1}
                          ).status_code == 201


def test_status_of_an_assigned_gpu_cannot_change(admin_api, held_gpu):
    url = f"/gpus/{held_gpu.pk}"
    response = admin_api.put(url, {"status": "free", "gpu_usage": 50})
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": "This GPU is assigned to a user; release the GPU first.",
                               "data": None}
    assert GPU.objects.get(pk=held_gpu.pk).gpu_usage == 0
    same = admin_api.put(url, {"status": "in_use", "gpu_usage": 50, "assigned_to": None})
    assert same.status_code == 200
    assert (same.json()["data"]["gpu_usage"], same.json()["data"]["assigned_to"]) == (50.0, held_gpu.assigned_to_id)
    # validation (400) comes before the business rule (422)
    assert admin_api.put(url, {"status": "free", "gpu_usage": 500}).status_code == 400


def test_unassigned_gpu_may_take_any_status(admin_api, server):
    gpu = GPUFactory(server=server)
    url = f"/gpus/{gpu.pk}"
    for status in ("in_use", "error", "free"):
        assert admin_api.put(url, {"status": status}).json()["data"]["status"] == status
    assert admin_api.get(url).json()["data"]["is_available"] is True


def test_delete_removes_assignment_history(admin_api, held_gpu):
    response = admin_api.delete(f"/gpus/{held_gpu.pk}")
    assert response.json() == {"code": 0, "message": "GPU deleted.", "data": None}
    assert not GPUAssignment.objects.exists()


def test_users_read_but_do_not_write(user_api, server):
    gpu = GPUFactory(server=server)
    assert user_api.get(f"/gpus/{gpu.pk}").status_code == 200
    assert user_api.post("/gpus", {"server_id": server.pk, "model": "A100", "memory_gb": 80}).status_code == 403
    assert user_api.put(f"/gpus/{gpu.pk}", {"status": "error"}).status_code == 403
    assert user_api.delete(f"/gpus/{gpu.pk}").status_code == 403


def test_filters_and_default_ordering(user_api, server, held_gpu, other_user):
    north = DatacenterFactory()
    elsewhere = ServerFactory(datacenter=north)
    free = GPUFactory(server=server, index=3, model="NVIDIA H100")
    broken = GPUFactory(server=elsewhere, index=0, model="L4", status="error")
    outside = GPUFactory(server=server, index=1, status="in_use")  # in use outside ITAM

    def ids(**params):
        response = user_api.get("/gpus", params)
        assert response.status_code == 200, response.json()
        return [g["id"] for g in response.json()["data"]]

    assert ids() == [held_gpu.pk, outside.pk, free.pk, broken.pk]  # server_id, index, id
    assert ids(server_id=elsewhere.pk) == [broken.pk]
    assert ids(datacenter_id=north.pk) == [broken.pk]
    assert ids(status="in_use") == [held_gpu.pk, outside.pk]
    assert ids(assigned_to=other_user.pk) == [held_gpu.pk]
    assert ids(is_available="TRUE") == [free.pk]
    assert ids(is_available="0") == [held_gpu.pk, outside.pk, broken.pk]
    assert ids(model="h100") == [free.pk]
    assert ids(ordering="-index") == [free.pk, outside.pk, broken.pk, held_gpu.pk]
    assert user_api.get("/gpus", {"is_available": "yes"}).json()["errors"] == {
        "is_available": ["Enter true, false, 1 or 0."]}


@pytest.mark.parametrize("count", [1, 16])
def test_list_query_count_is_constant(normal_user, server, other_user, django_assert_num_queries, count):
    for index in range(count):
        gpu = GPUFactory(server=server, index=index, status="in_use", assigned_to=other_user)
        GPUAssignmentFactory(gpu=gpu, user=other_user)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(3):  # count, page, open assignments
        response = api.get("/gpus")
    assert [g["assigned_user_name"] for g in response.json()["data"]] == ["Bob"] * count
