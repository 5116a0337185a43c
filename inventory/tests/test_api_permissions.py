"""The permission matrix of API.md §2 for the inventory CRUD endpoints, table-driven.

Roles: anonymous, a user who does not own the object, the owner (a user), an admin.
"""
import pytest

from conftest import ApiClient
from tests.factories import (
    AdminFactory, ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory,
    ServiceFactory, UserFactory,
)

ROLES = ("anonymous", "user", "owner", "admin")


def world():
    owner = UserFactory(username="owner")
    server = ServerFactory(name="srv")
    container = ContainerFactory(server=server, owner=owner, name="ctr")
    objects = {
        "datacenters": DatacenterFactory(name="Spare"),
        "environments": EnvironmentFactory(code="dev"),
        "servers": ServerFactory(name="spare"),
        "containers": container,
        "services": ServiceFactory(container=container, owner=owner),
        "gpus": GPUFactory(server=server, index=0),
    }
    clients = {"anonymous": ApiClient(), "user": ApiClient(UserFactory(username="stranger")),
               "owner": ApiClient(owner), "admin": ApiClient(AdminFactory())}
    return objects, server, container, clients


def new_body(resource, role, server, container):
    """A valid create body, distinct per role so that creates do not clash."""
    name = f"new-{role}"
    return {
        "datacenters": {"name": name},
        "environments": {"name": name, "code": name},
        "servers": {"name": name, "datacenter_id": server.datacenter_id, "environment_id": server.environment_id,
                    "internal_ip": "10.9.9.9"},
        "containers": {"name": name, "server_id": server.pk},
        "services": {"name": name, "container_id": container.pk},
        "gpus": {"server_id": server.pk, "model": "A100", "memory_gb": 80, "index": ROLES.index(role) + 4},
    }[resource]


CHANGE = {"datacenters": {"location": "x"}, "environments": {"color": "#000000"}, "servers": {"os_type": "x"},
          "containers": {"purpose": "x"}, "services": {"version": "2"}, "gpus": {"gpu_usage": 5}}

ADMIN_WRITES = {"read": (401, 200, 200, 200), "create": (401, 403, 403, 201),
                "update": (401, 403, 403, 200), "delete": (401, 403, 403, 200)}
OWNED_WRITES = {"read": (401, 200, 200, 200), "create": (401, 201, 201, 201),
                "update": (401, 403, 200, 200), "delete": (401, 403, 200, 200)}
MATRIX = {
    "datacenters": ADMIN_WRITES, "environments": ADMIN_WRITES, "servers": ADMIN_WRITES, "gpus": ADMIN_WRITES,
    "containers": OWNED_WRITES, "services": OWNED_WRITES,
}


@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(MATRIX))
@pytest.mark.parametrize("operation", ["read", "create", "update", "delete"])
def test_permission_matrix(resource, operation):
    objects, server, container, clients = world()
    target = objects[resource]
    seen = []
    for role in ROLES:
        api = clients[role]
        if operation == "read":
            statuses = {api.get(f"/{resource}").status_code, api.get(f"/{resource}/{target.pk}").status_code}
            assert len(statuses) == 1, (role, statuses)
            seen.append(statuses.pop())
        elif operation == "create":
            seen.append(api.post(f"/{resource}", new_body(resource, role, server, container)).status_code)
        elif operation == "update":
            seen.append(api.put(f"/{resource}/{target.pk}", CHANGE[resource]).status_code)
        else:
            response = api.delete(f"/{resource}/{target.pk}")
            seen.append(response.status_code)
            if response.status_code == 200 and role != "admin":
                target = replacement(resource, clients["owner"].user, server)
    assert tuple(seen) == MATRIX[resource][operation]


def replacement(resource, owner, server):
    """After the owner deleted their container or service, a new one for the admin to delete."""
    container = ContainerFactory(server=server, owner=owner)
    return container if resource == "containers" else ServiceFactory(container=container, owner=owner)


@pytest.mark.django_db
@pytest.mark.parametrize("resource", list(MATRIX))
def test_anonymous_wrong_method_is_401_and_user_wrong_method_on_admin_route_is_403(resource):
    objects, _, _, clients = world()
    detail = f"/{resource}/{objects[resource].pk}"
    assert clients["anonymous"].post(detail, {}).status_code == 401
    expected = 403 if MATRIX[resource] is ADMIN_WRITES else 405
    assert clients["user"].post(detail, {}).status_code == expected
    assert clients["admin"].post(detail, {}).status_code == 405
