"""GET /search and GET /search/quick (API.md §8)."""
import pytest

from inventory.api.serializers import ContainerSerializer, GPUSerializer, ServerSerializer, ServiceSerializer
from inventory.models import GPU, Container, Server, Service
from inventory.search import classify
from tests.factories import (
    ContainerFactory, DatacenterFactory, GPUFactory, PortMappingFactory, ServerFactory, ServiceFactory,
)

EMPTY = {"servers": [], "containers": [], "services": [], "port_mappings": [], "gpus": []}


def search(api, **params):
    response = api.get("/search", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["code"] == 0 and "pagination" not in body
    return body["data"]


def names(items, key="name"):
    return [item[key] for item in items]


@pytest.mark.parametrize("keyword, search_type", [
    ("10.", "ip"), ("192.168", "ip"), ("10.0.0.7", "ip"), ("80", "ip"), ("0", "ip"), ("999", "ip"),
    ("fe80::1", "ip"), ("::", "ip"), ("a1:", "ip"), ("2001:DB8::", "ip"), ("::ffff:10.0.0.1", "ip"),
    ("8080", "port"), ("65535", "port"), ("1234", "port"), ("00080", "port"),
    ("65536", "keyword"), ("0000", "keyword"), ("abc", "keyword"), ("web-01", "keyword"), ("1.2.3.4.5", "keyword"),
    ("1234.5", "keyword"), ("g::", "keyword"), ("10.0.0.1/24", "keyword"), ("٨٠", "keyword"), ("-80", "keyword"),
])
def test_classification(keyword, search_type):
    assert classify(keyword) == search_type


@pytest.fixture
def fleet(db):
    dc = DatacenterFactory(name="North")
    web = ServerFactory(name="web-01", datacenter=dc, internal_ip="10.0.0.7", external_ip="fe80::7",
                        responsible_person="Alice")
    app = ServerFactory(name="app-01", datacenter=dc, internal_ip="10.0.1.8", ssh_port=8022,
                        description="runs the WEB shop")
    nginx = ContainerFactory(server=web, name="nginx", image="nginx:1.27")
    shop = ContainerFactory(server=app, name="shop", image="python:3.12", description="web frontend")
    PortMappingFactory(container=nginx, container_port=8080, internal_port=20080, internal_ip="10.9.9.9")
    PortMappingFactory(container=shop, container_port=22, internal_port=20022, external_ip="203.0.113.10",
                       external_port=8080)
    PortMappingFactory(container=shop, container_port=443, internal_port=20443)
    ServiceFactory(container=nginx, name="web-proxy", service_type="proxy", port=8080)
    ServiceFactory(container=shop, name="checkout", service_type="web", port=9000)
    GPUFactory(server=app, index=1, model="NVIDIA A100", description=None)
    GPUFactory(server=web, index=0, model="Tesla T4", description="for web inference")
    return dict(web=web, app=app, nginx=nginx, shop=shop)


def test_keyword_search_over_every_named_field(user_api, fleet):
    data = search(user_api, keyword="  Web ")
    assert data["search_type"] == "keyword"
    assert names(data["servers"]) == ["app-01", "web-01"]  # description; name; ordered by name
    assert names(data["containers"]) == ["shop"]  # description
    assert names(data["services"]) == ["checkout", "web-proxy"]  # service_type; name
    assert names(data["gpus"], "model") == ["Tesla T4"]  # description
    assert data["port_mappings"] == []
    assert data["total"] == 6
    assert data["servers"][0] == dict(ServerSerializer(Server.objects.with_counts().get(name="app-01")).data)
    assert data["containers"][0] == dict(ContainerSerializer(Container.objects.with_counts().get(name="shop")).data)
    assert data["services"][0] == dict(ServiceSerializer(Service.objects.with_related().get(name="checkout")).data)
    assert data["gpus"][0] == dict(GPUSerializer(GPU.objects.with_related().get(model="Tesla T4")).data)


def test_keyword_matches_image_and_model(user_api, fleet):
    data = search(user_api, keyword="python")
    assert names(data["containers"]) == ["shop"] and data["total"] == 1
    assert names(search(user_api, keyword="a100")["gpus"], "model") == ["NVIDIA A100"]


def test_ip_search(user_api, fleet):
    data = search(user_api, keyword="10.0.")
    assert data["search_type"] == "ip"
    assert names(data["servers"]) == ["app-01", "web-01"]
    assert data["port_mappings"] == []  # mappings match on their own addresses only
    assert data["containers"] == data["services"] == data["gpus"] == []
    data = search(user_api, keyword="10.9")
    assert data["servers"] == [] and [m["internal_address"] for m in data["port_mappings"]] == ["10.9.9.9:20080"]
    assert search(user_api, keyword="203.0.113")["port_mappings"][0]["external_address"] == "203.0.113.10:8080"


def test_ipv6_fragment_search(user_api, fleet):
    data = search(user_api, keyword="FE80::")
    assert data["search_type"] == "ip" and names(data["servers"]) == ["web-01"] and data["total"] == 1


def test_port_search(user_api, fleet):
    data = search(user_api, keyword="8080")
    assert data["search_type"] == "port"
    assert [m["container_port"] for m in data["port_mappings"]] == [8080, 22]  # container_port; external_port
    assert names(data["services"]) == ["web-proxy"]
    assert data["servers"] == data["containers"] == data["gpus"] == []
    assert names(search(user_api, keyword="8022")["servers"]) == ["app-01"]  # ssh_port
    assert [m["internal_port"] for m in search(user_api, keyword="20443")["port_mappings"]] == [20443]


def test_short_numbers_are_ip_fragments(user_api, fleet):
    data = search(user_api, keyword="443")
    assert data["search_type"] == "ip" and data["total"] == 0


def test_empty_keyword(user_api, fleet, django_assert_num_queries):
    with django_assert_num_queries(1):  # authentication only
        data = search(user_api, keyword="  ")
    assert data == {**EMPTY, "search_type": "keyword", "total": 0}
    assert search(user_api) == data


def test_q_is_an_alias_and_keyword_wins(user_api, fleet):
    assert names(search(user_api, q="shop")["containers"]) == ["shop"]
    assert names(search(user_api, keyword="nginx", q="shop")["containers"]) == ["nginx"]
    assert names(search(user_api, keyword="", q="shop")["containers"]) == ["shop"]


@pytest.mark.parametrize("limit, expected", [("1", 1), ("0", 1), ("-5", 1), ("abc", 3), ("", 3), ("2", 2)])
def test_limit_per_category(user_api, db, limit, expected):
    for n in range(3):
        ServerFactory(name=f"node-{n}")
    assert len(search(user_api, keyword="node", limit=limit)["servers"]) == expected


def test_limit_is_clamped_to_200_and_defaults_to_50(user_api, db):
    server = ServerFactory(name="big")
    owner = ContainerFactory(server=server, name="box-seed").owner
    Container.objects.bulk_create([Container(server=server, name=f"box-{n:03d}", owner=owner) for n in range(204)])
    assert len(search(user_api, keyword="box")["containers"]) == 50
    assert len(search(user_api, keyword="box", limit="500")["containers"]) == 200


def test_query_count_does_not_grow(user_api, fleet, django_assert_num_queries):
    # authentication + servers, containers (+ port mappings), services, GPUs (+ open assignments)
    with django_assert_num_queries(7):
        search(user_api, keyword="e")
    for n in range(5):
        GPUFactory(server=fleet["web"], index=n + 3, model="element")
        PortMappingFactory(container=ContainerFactory(server=fleet["app"], name=f"extra-{n}"))
    with django_assert_num_queries(7):
        assert search(user_api, keyword="e")["total"] > 10
    with django_assert_num_queries(3):  # authentication, servers, port mappings
        search(user_api, keyword="10.0")
    with django_assert_num_queries(4):  # authentication, servers, services, port mappings
        search(user_api, keyword="8080")


@pytest.mark.parametrize("path", ["/search", "/search/quick"])
@pytest.mark.parametrize("param", ["keyword", "q"])
def test_nul_characters_are_400(user_api, db, path, param):
    response = user_api.get(path, {param: "we\x00b"})
    assert response.status_code == 400
    assert response.json()["errors"] == {param: ["Null characters are not allowed."]}


def test_requires_authentication(anon_api):
    assert anon_api.get("/search", {"keyword": "web"}).status_code == 401
    assert anon_api.get("/search/quick", {"keyword": "web"}).status_code == 401


# --- quick search ----------------------------------------------------------------------

def quick(api, **params):
    response = api.get("/search/quick", params)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and "pagination" not in body
    return body["data"]


def test_quick_servers_first_then_containers(user_api, fleet):
    ContainerFactory(server=fleet["web"], name="web-01-nginx")
    assert quick(user_api, keyword="WEB") == [
        {"type": "server", "id": fleet["web"].id, "name": "web-01", "description": "10.0.0.7 - North"},
        {"type": "container", "id": Container.objects.get(name="web-01-nginx").id, "name": "web-01-nginx",
         "description": "on web-01"},
    ]


@pytest.mark.parametrize("keyword", ["", " ", "w", " w "])
def test_quick_needs_two_characters(user_api, fleet, keyword, django_assert_num_queries):
    with django_assert_num_queries(1):  # authentication only
        assert quick(user_api, keyword=keyword) == []


@pytest.mark.parametrize("limit, expected", [(None, 10), ("3", 3), ("0", 1), ("50", 10), ("x", 10)])
def test_quick_limit(user_api, db, limit, expected):
    server = ServerFactory(name="node-00")
    for n in range(12):
        ContainerFactory(server=server, name=f"node-c{n:02d}")
    data = quick(user_api, q="node", **({"limit": limit} if limit is not None else {}))
    assert len(data) == expected
    assert data[0]["type"] == "server" and names(data[1:]) == [f"node-c{n:02d}" for n in range(expected - 1)]


def test_quick_query_count(user_api, fleet, django_assert_num_queries):
    with django_assert_num_queries(3):  # authentication, servers, containers
        quick(user_api, keyword="01")
