"""POST /{containers,services,gpus}/update-sort-order (API.md §9.3)."""
import pytest

from audit.models import AuditLog
from inventory.models import GPU, Container, Service
from tests.factories import ContainerFactory, GPUFactory, ServerFactory, ServiceFactory

RESOURCES = [
    ("containers", Container, lambda server: ContainerFactory(server=server)),
    ("services", Service, lambda server: ServiceFactory(container=ContainerFactory(server=server))),
    ("gpus", GPU, lambda server: GPUFactory(server=server)),
]


@pytest.fixture(params=RESOURCES, ids=[r[0] for r in RESOURCES])
def resource(request, db):
    path, model, make = request.param
    server = ServerFactory()
    objects = [make(server) for _ in range(3)]
    return f"/{path}/update-sort-order", model, objects


def updates(model):
    """The audit entries of sort-order changes of ``model`` (factories write others)."""
    return AuditLog.objects.filter(action="update", resource_type=model._meta.model_name)


def orders(model):
    return dict(model.objects.values_list("id", "sort_order"))


def test_saves_the_order(admin_api, resource):
    path, model, (a, b, c) = resource
    response = admin_api.post(path, {"items": [{"id": c.id, "sort_order": 0}, {"id": a.id, "sort_order": 1},
                                               {"id": b.id, "sort_order": "2"}, {"id": 999999, "sort_order": 3}]})
    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "Sort order saved.", "data": {"updated": 2}}  # c stays 0
    assert orders(model) == {c.id: 0, a.id: 1, b.id: 2}


def test_audited_as_update(admin_api, resource):
    path, model, (a, b, c) = resource
    admin_api.post(path, {"items": [{"id": a.id, "sort_order": 5}, {"id": b.id, "sort_order": 0}]})
    entries = updates(model).order_by("resource_id")
    assert [(e.resource_id, e.username, e.changes) for e in entries] == [
        (a.id, "admin", {"sort_order": {"old": 0, "new": 5}})]


def test_unchanged_and_unknown_ids_count_nothing(admin_api, resource):
    path, model, (a, b, c) = resource
    body = admin_api.post(path, {"items": [{"id": a.id, "sort_order": 0}, {"id": 999999, "sort_order": 1}]}).json()
    assert body["data"] == {"updated": 0}
    assert not updates(model).exists()


def test_last_entry_of_a_repeated_id_wins(admin_api, resource):
    path, model, (a, b, c) = resource
    admin_api.post(path, {"items": [{"id": a.id, "sort_order": 7}, {"id": a.id, "sort_order": 4}]})
    assert orders(model)[a.id] == 4


@pytest.mark.parametrize("body, errors", [
    ({}, {"items": ["This field is required."]}),
    ({"items": []}, {"items": ["This list may not be empty."]}),
    ({"items": {"id": 1}}, {"items": ['Expected a list of items but got type "dict".']}),
    ({"items": [{"id": 1}]}, {"items.0.sort_order": ["This field is required."]}),
    ({"items": [{"id": 1, "sort_order": 0}, {"id": "x", "sort_order": -1}]},
     {"items.1.id": ["A valid integer is required."],
      "items.1.sort_order": ["Ensure this value is greater than or equal to 0."]}),
    ({"items": [{"id": 1, "sort_order": 2147483648}]},
     {"items.0.sort_order": ["Ensure this value is less than or equal to 2147483647."]}),
    ({"items": [{"id": 1, "sort_order": 1.5}]}, {"items.0.sort_order": ["A valid integer is required."]}),
    ({"items": [{"id": True, "sort_order": 0}]}, {"items.0.id": ["A valid integer is required."]}),
    ({"items": [{"id": 10**30, "sort_order": 0}]},
     {"items.0.id": ["Ensure this value is less than or equal to 9223372036854775807."]}),
    ({"items": [{"id": None, "sort_order": 0}]}, {"items.0.id": ["This field may not be null."]}),
    ({"items": [5]}, {"items.0.non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}),
])
def test_validation_errors_change_nothing(admin_api, resource, body, errors):
    path, model, _ = resource
    before = orders(model)
    response = admin_api.post(path, body)
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert orders(model) == before


def test_all_or_nothing_when_one_item_is_invalid(admin_api, resource):
    path, model, (a, b, c) = resource
    before = orders(model)
    response = admin_api.post(path, {"items": [{"id": a.id, "sort_order": 3}, {"id": b.id, "sort_order": -1}]})
    assert response.status_code == 400 and orders(model) == before


def test_admin_only(user_api, anon_api, admin_api, resource):
    path, model, (a, _, _) = resource
    body = {"items": [{"id": a.id, "sort_order": 9}]}
    assert user_api.post(path, body).status_code == 403
    assert anon_api.post(path, body).status_code == 401
    response = admin_api.get(path)
    assert response.status_code == 405 and response.json()["code"] == 405
    assert admin_api.post(path + "/", body).status_code == 200


def test_query_count_does_not_grow(admin_api, db, django_assert_num_queries):
    server = ServerFactory()
    gpus = [GPUFactory(server=server, index=n) for n in range(12)]

    def reorder(subset, offset):
        return {"items": [{"id": g.id, "sort_order": n + offset} for n, g in enumerate(subset)]}

    # authentication (1); two savepoint pairs; lock; old values; bulk update; history; audit
    # entries; the GPUs' servers for the audit names.
    with django_assert_num_queries(11):
        admin_api.post("/gpus/update-sort-order", reorder(gpus[:2], 1))
    with django_assert_num_queries(11):
        assert admin_api.post("/gpus/update-sort-order", reorder(gpus, 20)).json()["data"]["updated"] == 12
