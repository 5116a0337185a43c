"""/services CRUD (API.md §3.7)."""
import pytest

from conftest import ApiClient
from inventory.models import Service
from tests.factories import ContainerFactory, ServiceFactory

SERVICE_FIELDS = {
    "id", "name", "container_id", "container_name", "owner_id", "owner_name", "service_type", "port",
    "version", "status", "health_check_url", "description", "sort_order", "created_at", "updated_at",
}


@pytest.fixture
def container(other_user):
    return ContainerFactory(name="nginx-01", owner=other_user)


def test_any_user_creates_into_any_container_and_becomes_owner(user_api, normal_user, container):
    response = user_api.post("/services", {
        "name": "nginx-80", "container_id": str(container.pk), "service_type": "web", "port": "80",
        "version": " 1.27 ", "health_check_url": "http://10.0.0.7/health", "sort_order": 9, "owner_id": 1,
    })
    assert response.status_code == 201 and response.json()["message"] == "Service created."
    data = response.json()["data"]
    assert set(data) == SERVICE_FIELDS
    service = Service.objects.get()
    assert data == {
        "id": service.pk, "name": "nginx-80", "container_id": container.pk, "container_name": "nginx-01",
        "owner_id": normal_user.pk, "owner_name": "Alice", "service_type": "web", "port": 80, "version": "1.27",
        "status": "healthy", "health_check_url": "http://10.0.0.7/health", "description": None, "sort_order": 0,
        "created_at": data["created_at"], "updated_at": data["updated_at"],
    }
    assert user_api.get(f"/services/{service.pk}").json()["data"] == data


@pytest.mark.parametrize("field, value, message", [
    ("container_id", 9999, "Container with id 9999 does not exist."),
    ("container_id", None, "This field may not be null."),
    ("service_type", "mail", '"mail" is not a valid choice.'),
    ("port", 0, "Ensure this value is greater than or equal to 1."),
    ("status", "up", '"up" is not a valid choice.'),
    ("version", "v" * 33, "Ensure this field has no more than 32 characters."),
    ("name", "a b", "Use 1-64 characters: letters, digits, '.', '_' or '-'."),
])
def test_invalid_fields_are_400(user_api, container, field, value, message):
    response = user_api.post("/services", {"name": "svc", "container_id": container.pk, field: value})
    assert response.status_code == 400 and response.json()["errors"] == {field: [message]}


def test_blank_optional_fields_mean_null(user_api, container):
    data = user_api.post("/services", {"name": "svc", "container_id": container.pk, "service_type": "",
                                       "port": " ", "version": "", "health_check_url": "", "description": ""}
                         ).json()["data"]
    assert [data[k] for k in ("service_type", "port", "version", "health_check_url", "description")] == [None] * 5


def test_duplicate_name_in_container_is_422(user_api, container):
    ServiceFactory(container=container, name="API")
    response = user_api.post("/services", {"name": "api", "container_id": container.pk})
    message = "A service with this name already exists in this container."
    assert response.status_code == 422 and response.json()["errors"] == {"name": [message]}


def test_owner_or_admin_may_change_and_delete(user_api, admin_api, normal_user, other_user, container):
    mine = ServiceFactory(container=container, owner=normal_user)
    theirs = ServiceFactory(container=container, owner=other_user)
    assert user_api.put(f"/services/{mine.pk}", {"status": "stopped"}).json()["data"]["status"] == "stopped"
    assert user_api.put(f"/services/{theirs.pk}", {"status": "stopped"}).status_code == 403
    assert user_api.delete(f"/services/{theirs.pk}").status_code == 403
    assert user_api.delete(f"/services/4242").status_code == 404  # lookup before ownership
    moved = ContainerFactory()
    data = admin_api.put(f"/services/{theirs.pk}", {"container_id": moved.pk}).json()["data"]
    assert (data["container_id"], data["owner_id"]) == (moved.pk, other_user.pk)
    assert user_api.delete(f"/services/{mine.pk}").json() == {"code": 0, "message": "Service deleted.", "data": None}
    assert list(Service.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_filters_and_ordering(user_api, normal_user, other_user, container):
    a = ServiceFactory(container=container, name="web", owner=normal_user, service_type="web", port=80)
    b = ServiceFactory(container=container, name="db", owner=other_user, service_type="database", port=5432,
                       status="unhealthy")
    c = ServiceFactory(name="cache", service_type="cache", port=6379)

    def ids(**params):
        response = user_api.get("/services", params)
        assert response.status_code == 200, response.json()
        return [s["id"] for s in response.json()["data"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(container_id=container.pk, ordering="port") == [a.pk, b.pk]
    assert ids(owner_id=normal_user.pk) == [a.pk]
    assert ids(status="unhealthy") == [b.pk]
    assert ids(service_type="cache") == [c.pk]
    assert ids(keyword="D") == [b.pk]
    assert ids(ordering="-name") == [a.pk, b.pk, c.pk]
    errors = user_api.get("/services", {"service_type": "mail", "container_id": "x"}).json()["errors"]
    assert set(errors) == {"service_type", "container_id"}


@pytest.mark.parametrize("count", [1, 50])
def test_list_query_count_is_constant(normal_user, container, django_assert_num_queries, count):
    ServiceFactory.create_batch(count, container=container)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(2):  # count, page
        response = api.get("/services", {"page_size": 100})
    assert len(response.json()["data"]) == count


def test_detail_query_count(normal_user, container, django_assert_num_queries):
    service = ServiceFactory(container=container)
    api = ApiClient()
    api.client.force_authenticate(normal_user)
    with django_assert_num_queries(1):
        assert api.get(f"/services/{service.pk}").status_code == 200
