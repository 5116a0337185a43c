"""GET /datacenters/overview (API.md §3.3)."""
import pytest

from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory, ServiceFactory,
)


def overview(api):
    response = api.get("/datacenters/overview")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and body["message"] == "success" and "pagination" not in body
    return body["data"]


def build(datacenter, environments, servers=3):
    """``servers`` servers spread over ``environments``; each odd one with two containers
    of two services each and one GPU."""
    statuses = ["online", "maintenance", "offline"]
    for n in range(servers):
        server = ServerFactory(datacenter=datacenter, environment=environments[n % len(environments)],
                               status=statuses[n % 3])
        if n % 2:
            for _ in range(2):
                ServiceFactory.create_batch(2, container=ContainerFactory(server=server))
            GPUFactory(server=server, index=0)
            GPUFactory(server=server, index=1)


@pytest.fixture
def environments(db):
    return [EnvironmentFactory(code="prod"), EnvironmentFactory(code="test", sort_order=3)]


def test_counts_per_active_datacenter_ordered_by_name(user_api, environments):
    prod, test = environments
    north = DatacenterFactory(name="North", location="Building A")
    empty = DatacenterFactory(name="Empty", location=None)
    build(north, environments, servers=4)  # servers 0..3: prod, test, prod, test
    build(DatacenterFactory(name="Closed", is_active=False), environments, servers=2)
    assert overview(user_api) == [
        {"id": empty.id, "name": "Empty", "location": None, "server_count": 0, "container_count": 0,
         "service_count": 0, "gpu_server_count": 0, "env_stats": {}, "status_stats": {}},
        {"id": north.id, "name": "North", "location": "Building A", "server_count": 4, "container_count": 4,
         "service_count": 8, "gpu_server_count": 2,
         "env_stats": {str(prod.id): 2, str(test.id): 2},
         "status_stats": {"maintenance": 1, "offline": 1, "online": 2}},
    ]


def test_requires_authentication(anon_api):
    assert anon_api.get("/datacenters/overview").status_code == 401


def test_trailing_slash(user_api, environments):
    assert user_api.get("/datacenters/overview/").status_code == 200


def test_query_count_is_constant(user_api, environments, django_assert_num_queries):
    build(DatacenterFactory(), environments, servers=2)
    # 1 to authenticate (user and token blacklist), datacenters with counts, server groups.
    with django_assert_num_queries(3):
        overview(user_api)
    for _ in range(3):
        build(DatacenterFactory(), environments, servers=4)
    with django_assert_num_queries(3):
        assert len(overview(user_api)) == 4
