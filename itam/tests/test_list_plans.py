"""List plans (itam.api.compiled.views): a list request's statements are compiled once per set of
parameters and caller scope, then run with fresh data; bad parameters never make a plan."""
import pytest

from inventory.models import Server
from itam.api.compiled import views as compiled_views
from tests.factories import ContainerFactory, ServerFactory, UserFactory


@pytest.fixture
def plans(monkeypatch):
    """A fresh plan cache, and a count of the plans built while the test runs."""
    built = []
    original = compiled_views.ListPlan.build.__func__

    def counting(cls, *args):
        built.append(args)
        return original(cls, *args)

    monkeypatch.setattr(compiled_views, "LIST_PLANS", compiled_views.StatementCache(size=8))
    monkeypatch.setattr(compiled_views.ListPlan, "build", classmethod(counting))
    return built


def names(response):
    body = response.json()
    return [item["name"] for item in body["data"]], body["pagination"]["total"]


def test_a_repeated_request_reuses_its_plan_and_sees_new_data(admin_api, plans, django_assert_num_queries):
    ServerFactory(name="alpha")
    params = {"ordering": "name", "page_size": 5}
    assert names(admin_api.get("/servers", params)) == (["alpha"], 1)
    ServerFactory(name="beta")
    Server.objects.filter(name="alpha").update(name="aardvark")
    with django_assert_num_queries(3):  # authentication, count, page
        assert names(admin_api.get("/servers", params)) == (["aardvark", "beta"], 2)
    assert len(plans) == 1


def test_other_parameters_get_their_own_plan(admin_api, plans):
    for name in ("alpha", "beta", "gamma"):
        ServerFactory(name=name)
    assert names(admin_api.get("/servers", {"ordering": "name"}))[0] == ["alpha", "beta", "gamma"]
    assert names(admin_api.get("/servers", {"ordering": "-name"}))[0] == ["gamma", "beta", "alpha"]
    assert names(admin_api.get("/servers", {"keyword": "et"}))[0] == ["beta"]
    assert len(plans) == 3


def test_a_page_emptied_since_its_plan_was_built_is_empty(admin_api, plans, django_assert_num_queries):
    for n in range(3):
        ServerFactory(name=f"srv-{n}")
    params = {"ordering": "name", "page": 2, "page_size": 2}
    assert names(admin_api.get("/servers", params)) == (["srv-2"], 3)
    Server.objects.filter(name="srv-2").delete()
    with django_assert_num_queries(2):  # authentication, count: nothing to page
        response = admin_api.get("/servers", params)
    assert response.json()["data"] == [] and response.json()["pagination"]["total"] == 2


def test_bad_parameters_stay_errors_and_make_no_plan(admin_api, plans):
    for _ in range(2):
        response = admin_api.get("/servers", {"ordering": "nope"})
        assert response.status_code == 400 and "ordering" in response.json()["errors"]
    assert plans == []


def test_the_callers_scope_is_part_of_the_plan(admin_api, user_api, plans):
    UserFactory(username="zed", is_active=False)
    admin_view = admin_api.get("/users", {"ordering": "username"}).json()["data"]
    directory = user_api.get("/users", {"ordering": "username"}).json()["data"]
    assert "zed" in [u["username"] for u in admin_view] and "role" in admin_view[0]
    assert "zed" not in [u["username"] for u in directory] and set(directory[0]) == {"id", "username", "display_name"}
    assert len(plans) == 2


def test_one_detail_plan_serves_every_id_with_fresh_children(admin_api, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(compiled_views, "DETAIL_PLANS", compiled_views.StatementCache(size=8))
    web, db_server = ServerFactory(name="web"), ServerFactory(name="db")
    ContainerFactory(server=web, name="nginx")
    assert [c["name"] for c in admin_api.get(f"/servers/{web.pk}").json()["data"]["containers"]] == ["nginx"]
    ContainerFactory(server=db_server, name="postgres")
    ContainerFactory(server=web, name="api")
    # authentication, server, containers, their port mappings, their services, GPUs (none, so
    # no query for their assignments): run from the plan, as many as the first time.
    with django_assert_num_queries(6):
        web_again = admin_api.get(f"/servers/{web.pk}").json()["data"]
    assert sorted(c["name"] for c in web_again["containers"]) == ["api", "nginx"]
    assert web_again["container_count"] == 2
    assert [c["name"] for c in admin_api.get(f"/servers/{db_server.pk}").json()["data"]["containers"]] == ["postgres"]
    assert len(compiled_views.DETAIL_PLANS) == 1


@pytest.mark.parametrize("pk", ["0", str(2**63), "99999999999999999999999"])
def test_ids_no_row_can_have_are_404_without_a_query(admin_api, pk, django_assert_num_queries):
    with django_assert_num_queries(1):  # authentication only
        response = admin_api.get(f"/servers/{pk}")
    assert response.status_code == 404 and response.json()["code"] == 404


def test_parameters_the_filters_do_not_know_make_no_plan(admin_api, plans):
    """A cache buster (``?_=...``) or any other unknown parameter reuses the plan."""
    ServerFactory(name="alpha")
    for n in range(5):
        assert names(admin_api.get("/servers", {"ordering": "name", "_": str(n), "utm": "x"})) == (["alpha"], 1)
    assert len(plans) == 1


def test_plans_are_keyed_by_validated_values(admin_api, plans):
    ServerFactory(name="web-1")
    # The same keyword once trimmed, the same page size once clamped, the same first page.
    for params in ({"keyword": "web", "page_size": 100}, {"keyword": " web ", "page_size": 500},
                   {"keyword": "web", "page_size": "100", "page": "1"}):
        assert names(admin_api.get("/servers", params)) == (["web-1"], 1)
    assert len(plans) == 1
