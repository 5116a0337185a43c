"""/environments (API.md §3.4)."""
import pytest

from conftest import ApiClient
from inventory.models import Environment
from tests.factories import EnvironmentFactory, ServerFactory

ENVIRONMENT_FIELDS = {"id", "name", "code", "color", "sort_order", "server_count"}


def test_list_is_an_unpaginated_array_by_sort_order(user_api):
    dev = EnvironmentFactory(code="dev", sort_order=4)
    prod = EnvironmentFactory(code="prod", sort_order=1)
    ServerFactory.create_batch(2, environment=prod)
    body = user_api.get("/environments/").json()
    assert set(body) == {"code", "message", "data"}
    assert body["data"] == [
        {"id": prod.pk, "name": "Production", "code": "prod", "color": "#F56C6C", "sort_order": 1, "server_count": 2},
        {"id": dev.pk, "name": "Development", "code": "dev", "color": "#F56C6C", "sort_order": 4, "server_count": 0},
    ]
    assert [e["code"] for e in user_api.get("/environments", {"ordering": "-code"}).json()["data"]] == ["prod", "dev"]
    assert user_api.get("/environments", {"ordering": "color"}).status_code == 400


def test_detail(user_api):
    env = EnvironmentFactory(code="test", sort_order=3)
    data = user_api.get(f"/environments/{env.pk}").json()["data"]
    assert set(data) == ENVIRONMENT_FIELDS and data["code"] == "test"


def test_create_with_defaults_update_and_delete(admin_api):
    response = admin_api.post("/environments", {"name": "QA", "code": "qa", "sort_order": "5"})
    assert response.status_code == 201 and response.json()["message"] == "Environment created."
    data = response.json()["data"]
    assert data == {"id": data["id"], "name": "QA", "code": "qa", "color": "#909399", "sort_order": 5,
                    "server_count": 0}
    url = f"/environments/{data['id']}"
    assert admin_api.put(url, {"color": "#00FF00"}).json()["data"]["color"] == "#00FF00"
    assert admin_api.delete(url).json() == {"code": 0, "message": "Environment deleted.", "data": None}


@pytest.mark.parametrize("body, errors", [
    ({"name": "QA", "code": "q a"}, {"code": ["Use 1-16 letters, digits, '-' or '_'."]}),
    ({"name": "QA", "code": "qa", "color": "red"}, {"color": ["Use a colour of the form #RRGGBB."]}),
    ({"name": "QA", "code": "qa", "sort_order": -1}, {"sort_order": ["Ensure this value is greater than or equal to 0."]}),
    ({"name": "n" * 33, "code": "qa"}, {"name": ["Ensure this field has no more than 32 characters."]}),
    ({"code": "qa"}, {"name": ["This field is required."]}),
])
def test_invalid_bodies_are_400(admin_api, body, errors):
    response = admin_api.post("/environments", body)
    assert response.status_code == 400 and response.json()["errors"] == errors


def test_duplicate_name_and_code_are_422_on_each_field(admin_api):
    EnvironmentFactory(code="prod", name="Production")
    response = admin_api.post("/environments", {"name": "PRODUCTION", "code": "Prod"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "name": ["An environment with this name already exists."],
        "code": ["An environment with this code already exists."],
    }


def test_deleting_an_environment_with_servers_is_422(admin_api):
    env = EnvironmentFactory(code="prod")
    ServerFactory(environment=env)
    response = admin_api.delete(f"/environments/{env.pk}")
    assert response.status_code == 422
    assert response.json()["message"] == "This environment still has 1 server; delete or move them first."
    assert Environment.objects.filter(pk=env.pk).exists()


def test_list_query_count(normal_user, django_assert_num_queries):
    for code in ("prod", "staging", "test", "dev"):
        ServerFactory(environment=EnvironmentFactory(code=code))
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(1):
        assert len(api.get("/environments").json()["data"]) == 4
