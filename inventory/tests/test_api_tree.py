"""GET /servers/tree (API.md §4) and the fast renderer it uses."""
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from itam.api.compiled import renderer_for
from inventory.api.serializers import (
    ContainerSerializer, GPUSerializer, PortMappingSerializer, ServerSerializer, ServiceSerializer,
)
from inventory.models import GPU, Container, PortMapping, Server, Service
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUAssignmentFactory, GPUFactory, GpuReservationFactory,
    PortMappingFactory, ServerFactory, ServiceFactory, UserFactory,
)

SERVER_KEYS = set(ServerSerializer().fields)


def tree(api, **params):
    response = api.get("/servers/tree", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["code"] == 0 and body["message"] == "success" and "pagination" not in body
    return body["data"]


def as_list(serializer_class, queryset):
    return [dict(item) for item in serializer_class(queryset, many=True).data]


@pytest.fixture
def fleet(db):
    """web-01 (two containers, services, a held GPU and a free one), db-01 (empty),
    in two datacenters and two environments; IPv6 and null values on purpose."""
    north, south = DatacenterFactory(name="North"), DatacenterFactory(name="South")
    prod, test = EnvironmentFactory(code="prod"), EnvironmentFactory(code="test", color="#67C23A")
    alice, bob = UserFactory(display_name="Alice"), UserFactory(display_name="Bob")
    web = ServerFactory(name="web-01", datacenter=north, environment=prod, internal_ip="10.0.0.7",
                        external_ip="2001:db8::7", responsible_person="Alice", cpu_usage=35.5)
    db_server = ServerFactory(name="db-01", datacenter=south, environment=test, status="maintenance",
                              cpu_cores=None, memory_gb=None, disk_gb=None, os_type=None)
    second = ContainerFactory(server=web, name="api", owner=alice, sort_order=2, image=None)
    first = ContainerFactory(server=web, name="nginx", owner=alice, assigned_user=bob, sort_order=1,
                             purpose="edge", cpu_limit=1.5, memory_limit_mb=512)
    PortMappingFactory(container=first, container_port=443, internal_port=20443, internal_ip="2001:db8::5",
                       external_ip="203.0.113.10", external_port=8443, protocol="udp")
    PortMappingFactory(container=first, container_port=22, internal_port=20022, description="ssh")
    ServiceFactory(container=first, name="nginx-443", sort_order=1, port=443)
    ServiceFactory(container=first, name="nginx-80", sort_order=0, port=80, service_type=None)
    free = GPUFactory(server=web, index=1, sort_order=0, model="L4")
    held = GPUFactory(server=web, index=0, sort_order=0, status="in_use", assigned_to=bob)
    GPUAssignmentFactory(gpu=held, user=bob, purpose="LLM", expires_at=timezone.now() + timedelta(days=3))
    return dict(web=web, db=db_server, first=first, second=second, free=free, held=held, north=north,
                prod=prod, alice=alice)


def test_level_1_is_exactly_the_server_list_objects_ordered_by_name(user_api, fleet):
    data = tree(user_api)
    assert data == as_list(ServerSerializer, Server.objects.with_counts().order_by("name", "id"))
    assert [node["name"] for node in data] == ["db-01", "web-01"]
    assert all(set(node) == SERVER_KEYS for node in data)  # no _type, children, hasChildren
    assert tree(user_api, expand_level="1") == data


def test_level_2_children(user_api, fleet):
    web, first, second = fleet["web"], fleet["first"], fleet["second"]
    db_node, web_node = tree(user_api, expand_level=2)
    server = dict(ServerSerializer(Server.objects.with_counts().get(pk=web.pk)).data)
    assert {k: v for k, v in web_node.items() if k not in ("hasChildren", "children")} == server
    assert web_node["hasChildren"] is True
    card, *rest = web_node["children"]
    assert card == {
        "_type": "_resource_card", "id": f"card_{web.id}", "cpu_usage": 35.5, "memory_usage": 0.0,
        "disk_usage": 0.0, "cpu_cores": 16, "memory_gb": 64, "disk_gb": 500, "gpu_count": 2,
        "updated_at": server["updated_at"], "ssh_command": "ssh -p 22 root@10.0.0.7", "internal_ip": "10.0.0.7",
    }
    containers = as_list(ContainerSerializer, Container.objects.with_counts().filter(pk__in=[first.pk, second.pk])
                         .order_by("sort_order", "id"))
    gpus = as_list(GPUSerializer, GPU.objects.with_related().filter(server=web).order_by("sort_order", "index", "id"))
    assert rest == [{**c, "_type": "container"} for c in containers] + [{**g, "_type": "gpu"} for g in gpus]
    assert [(n["_type"], n.get("name") or n.get("model")) for n in rest] == [
        ("container", "nginx"), ("container", "api"), ("gpu", "NVIDIA A100"), ("gpu", "L4")]
    nginx = rest[0]
    assert "children" not in nginx and "hasChildren" not in nginx and "services" not in nginx
    assert [m["mapping_chain"] for m in nginx["port_mappings"]] == [
        "22 → 10.0.0.7:20022", "443 → [2001:db8::5]:20443 → 203.0.113.10:8443"]
    held = rest[2]
    assert (held["assigned_user_name"], held["purpose"], held["is_available"]) == ("Bob", "LLM", False)
    assert db_node["children"] == [{
        "_type": "_resource_card", "id": f"card_{fleet['db'].id}", "cpu_usage": 0.0, "memory_usage": 0.0,
        "disk_usage": 0.0, "cpu_cores": None, "memory_gb": None, "disk_gb": None, "gpu_count": 0,
        "updated_at": db_node["updated_at"], "ssh_command": db_node["ssh_command"],
        "internal_ip": db_node["internal_ip"]}]
    assert db_node["hasChildren"] is True


def test_level_3_container_children_are_services(user_api, fleet):
    first, second = fleet["first"], fleet["second"]
    level2 = tree(user_api, expand_level=2)
    level3 = tree(user_api, expand_level=3)
    web2, web3 = level2[1], level3[1]
    nginx, api = web3["children"][1], web3["children"][2]
    services = as_list(ServiceSerializer, Service.objects.with_related().filter(container=first)
                       .order_by("sort_order", "id"))
    assert nginx["children"] == [{**s, "_type": "service"} for s in services]
    assert [s["name"] for s in nginx["children"]] == ["nginx-80", "nginx-443"]
    assert api["children"] == [] and api["id"] == second.id
    # Apart from the services, level 3 is level 2.
    for node in web3["children"]:
        node.pop("children", None) if node["_type"] == "container" else None
    assert level3[0] == level2[0] and web3 == web2
    assert all("children" not in n for n in web3["children"] if n["_type"] == "gpu")


@pytest.mark.parametrize("params, names", [
    ({"status": "maintenance"}, ["db-01"]),
    ({"keyword": "WEB"}, ["web-01"]),
    ({"keyword": "2001:db8"}, ["web-01"]),
    ({"keyword": "nginx"}, []),  # filters apply to servers, never to their children
    ({"status": "", "keyword": "", "datacenter_id": ""}, ["db-01", "web-01"]),
    ({"ordering": "-name", "page": "2", "page_size": "1"}, ["db-01", "web-01"]),  # not tree parameters
])
def test_filters_apply_to_servers(user_api, fleet, params, names):
    assert [n["name"] for n in tree(user_api, expand_level=3, **params)] == names


def test_datacenter_and_environment_filters(user_api, fleet):
    data = tree(user_api, expand_level=2, datacenter_id=fleet["north"].id, environment_id=fleet["prod"].id)
    assert [n["name"] for n in data] == ["web-01"]
    assert len(data[0]["children"]) == 5  # card, 2 containers, 2 GPUs: children are not filtered
    assert tree(user_api, datacenter_id=fleet["north"].id, environment_id=999999) == []


@pytest.mark.parametrize("params, field", [
    ({"expand_level": "0"}, "expand_level"),
    ({"expand_level": "4"}, "expand_level"),
    ({"expand_level": "two"}, "expand_level"),
    ({"expand_level": "1.5"}, "expand_level"),
    ({"status": "broken"}, "status"),
    ({"datacenter_id": "abc"}, "datacenter_id"),
    ({"environment_id": "1.5"}, "environment_id"),
])
def test_bad_parameters_are_400(user_api, fleet, params, field):
    response = user_api.get("/servers/tree", params)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"], body["data"]) == (400, "Validation failed.", None)
    assert list(body["errors"]) == [field]


def test_expand_level_message(user_api):
    body = user_api.get("/servers/tree", {"expand_level": "9"}).json()
    assert body["errors"] == {"expand_level": ["Must be 1, 2 or 3."]}


def test_empty_fleet_and_authentication(user_api, anon_api):
    assert tree(user_api, expand_level=3) == []
    assert anon_api.get("/servers/tree").status_code == 401
    assert user_api.get("/servers/tree/").status_code == 200


def test_children_of_servers_missing_from_the_server_query_are_left_out(fleet):
    """The tree's queries are separate statements; a server created between them must not
    break the response (its children wait for the next load)."""
    from inventory.api.tree import build_tree
    from inventory.querysets import TreeQuerySets

    only_db = Server.objects.filter(pk=fleet["db"].pk)
    everything = TreeQuerySets(
        servers=only_db.with_counts(), containers=Container.objects.with_counts(),
        gpus=GPU.objects.with_related(), services=Service.objects.with_related(),
    )
    nodes = build_tree(everything, 3)
    assert [n["name"] for n in nodes] == ["db-01"]
    assert [c["_type"] for c in nodes[0]["children"]] == ["_resource_card"]


def grow(servers, containers_per_server=3, services_per_container=2, gpus_per_server=2):
    users = UserFactory.create_batch(2)
    for n in range(servers):
        server = ServerFactory()
        for c in range(containers_per_server):
            container = ContainerFactory(server=server, owner=users[c % 2], assigned_user=users[(c + 1) % 2])
            PortMappingFactory(container=container)
            ServiceFactory.create_batch(services_per_container, container=container)
        for g in range(gpus_per_server):
            gpu = GPUFactory(server=server, index=g)
            if g == 0:
                GPUAssignmentFactory(gpu=gpu, user=users[0])
            else:
                GpuReservationFactory(gpu=gpu, user=users[1])


# 1 query authenticates (the user and the token blacklist); then one per loaded relation: servers;
# containers, their port mappings, GPUs, their open assignments; services.
@pytest.mark.parametrize("level, queries", [(1, 2), (2, 6), (3, 7)])
def test_query_count_does_not_depend_on_fleet_size(user_api, level, queries, django_assert_num_queries):
    grow(1)
    with django_assert_num_queries(queries):
        small = tree(user_api, expand_level=level)
    grow(6)
    with django_assert_num_queries(queries):
        large = tree(user_api, expand_level=level)
    assert (len(small), len(large)) == (1, 7)


# --- the fast renderer equals the serializers ------------------------------------------

@pytest.mark.parametrize("serializer_class, queryset", [
    (ServerSerializer, lambda: Server.objects.with_counts().order_by("id")),
    (ContainerSerializer, lambda: Container.objects.with_counts().order_by("id")),
    (ServiceSerializer, lambda: Service.objects.with_related().order_by("id")),
    (GPUSerializer, lambda: GPU.objects.with_related().order_by("id")),
    (PortMappingSerializer, lambda: PortMapping.objects.select_related("container__server").order_by("id")),
])
def test_fast_renderer_output_equals_the_serializer(fleet, serializer_class, queryset):
    grow(2)
    expected = as_list(serializer_class, queryset())
    fast = renderer_for(serializer_class).render_many(queryset())
    assert fast == expected
    # Byte for byte as JSON: same key order, and 35.0 stays a float, True a boolean.
    assert json.dumps(fast) == json.dumps(expected)
    assert renderer_for(serializer_class).render_many(queryset()[1:3]) == expected[1:3]  # a slice, as search takes
