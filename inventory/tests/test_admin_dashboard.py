"""The admin index dashboard and the server tree page, through their URLs."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUAssignmentFactory, GPUFactory, ServerFactory,
    ServiceFactory, UserFactory,
)

# Session, user, then datacenters, environments, three status counts, GPU-hours, expiring
# assignments, audit entries and today's reservations (starting, ending, failed).
DASHBOARD_QUERIES = 13


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def make_fleet():
    """Two datacenters, two environments, servers/containers/GPUs in known states."""
    north, south = DatacenterFactory(name="DC-North"), DatacenterFactory(name="DC-South", is_active=False)
    prod = EnvironmentFactory(code="prod", color="#F56C6C", sort_order=1)
    dev = EnvironmentFactory(code="dev", color="#909399", sort_order=4)
    web = ServerFactory(name="web-01", datacenter=north, environment=prod, status="online")
    gpu_box = ServerFactory(name="gpu-01", datacenter=north, environment=dev, status="maintenance")
    ServerFactory(name="db-01", datacenter=south, environment=prod, status="online")
    ContainerFactory(server=web, status="running")
    ContainerFactory(server=web, status="error")
    ContainerFactory(server=gpu_box, status="running")
    return {"north": north, "south": south, "prod": prod, "dev": dev, "web": web, "gpu_box": gpu_box}


def assign(gpu, user, *, hours_ago, expires_in=None, released_hours_ago=None, purpose=None):
    now = timezone.now()
    released = released_hours_ago is not None
    return GPUAssignmentFactory(
        gpu=gpu, user=user, purpose=purpose, assigned_at=now - timedelta(hours=hours_ago),
        expires_at=now + expires_in if expires_in else None,
        released_at=now - timedelta(hours=released_hours_ago) if released else None,
    )


def statuses(cards):
    return {card["value"]: card["count"] for card in cards}


@pytest.mark.django_db
class TestDashboard:
    def test_counts_per_datacenter_environment_and_status(self, admin_client):
        fleet = make_fleet()
        GPUFactory(server=fleet["gpu_box"], index=0)
        GPUFactory(server=fleet["gpu_box"], index=1, status="error")

        response = admin_client.get("/admin/")

        assert response.status_code == 200
        d = response.context["dashboard"]
        assert [(dc.name, dc.server_count, dc.container_count, dc.gpu_count) for dc in d["datacenters"]] == [
            ("DC-North", 2, 3, 2), ("DC-South", 1, 0, 0),
        ]
        assert [(env.code, env.server_count) for env in d["environments"]] == [("prod", 2), ("dev", 1)]
        assert statuses(d["server_status"]) == {"online": 2, "offline": 0, "maintenance": 1}
        assert statuses(d["container_status"]) == {"running": 2, "stopped": 0, "error": 1}
        assert d["gpu_status"] == [
            {"value": "free", "label": "Free", "color": "#67C23A", "count": 1},
            {"value": "in_use", "label": "In use", "color": "#409EFF", "count": 0},
            {"value": "error", "label": "Error", "color": "#F56C6C", "count": 1},
        ]
        html = response.content.decode()
        assert '<a class="button" href="/admin/tree/">Open the server tree</a>' in html
        assert '<a class="button" href="/admin/inventory/workbook/">Import / export workbook</a>' in html
        assert ('<a class="itam-stat" data-status="maintenance" href="/admin/inventory/server/?status__exact=maintenance">'
                '<strong>1</strong>') in html
        north = fleet["north"].pk
        for link, count in (
            (f"/admin/inventory/container/?server__datacenter__id__exact={north}", 3),
            (f"/admin/inventory/gpu/?server__datacenter__id__exact={north}", 2),
            ("/admin/inventory/gpu/?status__exact=error", 1),
        ):
            assert f'href="{link}"' in html
            assert admin_client.get(link).context["cl"].result_count == count
        assert '<span class="itam-badge" style="background-color: #909399">Development</span>' in html
        assert "DC-South</a> <span class=\"itam-muted\">(inactive)</span>" in html
        for link, servers in (
            (f'/admin/inventory/server/?datacenter__id__exact={fleet["north"].pk}', ["gpu-01", "web-01"]),
            (f'/admin/inventory/server/?environment__id__exact={fleet["prod"].pk}', ["db-01", "web-01"]),
        ):
            assert f'href="{link}"' in html
            listed = admin_client.get(link).context["cl"].result_list
            assert sorted(s.name for s in listed) == servers

    def test_gpu_hours_of_the_last_30_days_by_user(self, admin_client):
        bob, carol = UserFactory(display_name="Bob"), UserFactory(display_name="Carol")
        gpu_a, gpu_b = GPUFactory(index=0), GPUFactory(index=1)
        assign(gpu_a, bob, hours_ago=10, released_hours_ago=4)  # 6 h
        assign(gpu_b, bob, hours_ago=2)  # 2 h, still open
        assign(gpu_a, carol, hours_ago=3, released_hours_ago=2)  # 1 h
        assign(gpu_b, carol, hours_ago=24 * 40, released_hours_ago=24 * 35)  # outside the window

        response = admin_client.get("/admin/")

        rows = [(r["user_name"], r["gpu_hours"], r["assignments"], r["gpus"]) for r in response.context["dashboard"]["gpu_hours"]]
        assert rows == [("Bob", 8.0, 2, 2), ("Carol", 1.0, 1, 1)]
        assert "<td>Bob</td><td class=\"itam-num\">8.00</td>" in response.content.decode()

    def test_assignments_expiring_within_7_days_soonest_first(self, admin_client):
        bob = UserFactory(display_name="Bob")
        overdue = assign(GPUFactory(index=5), bob, hours_ago=30, expires_in=timedelta(hours=2))
        overdue.expires_at = timezone.now() - timedelta(hours=1)  # the expiry job has not run yet
        overdue.save()
        later = assign(GPUFactory(index=0), bob, hours_ago=1, expires_in=timedelta(days=6), purpose="training")
        soon = assign(GPUFactory(index=1), bob, hours_ago=1, expires_in=timedelta(hours=5))
        assign(GPUFactory(index=2), bob, hours_ago=1, expires_in=timedelta(days=8))  # too far
        assign(GPUFactory(index=3), bob, hours_ago=1)  # no expiry
        closed = assign(GPUFactory(index=4), bob, hours_ago=3, released_hours_ago=1)
        closed.expires_at = timezone.now() + timedelta(days=1)
        closed.save()  # released: no longer expiring

        response = admin_client.get("/admin/")

        assert list(response.context["dashboard"]["expiring"]) == [overdue, soon, later]
        html = response.content.decode()
        assert html.count("expired, awaiting release") == 1
        gpu = later.gpu
        assert f'href="/admin/inventory/gpu/{gpu.pk}/change/">NVIDIA A100 #0 on {gpu.server.name} ({gpu.server.datacenter.name})</a>' in html
        assert "<td>training</td>" in html

    def test_latest_audit_entries_newest_first(self, admin_client):
        for n in range(12):
            AuditLog.objects.create(username="ops", action="update", resource_type="server", resource_id=n,
                                    resource_name=f"srv-{n}", ip_address="10.1.1.1")

        response = admin_client.get("/admin/")

        entries = list(response.context["dashboard"]["audit_entries"])
        assert [e.resource_id for e in entries] == list(range(11, 1, -1))
        html = response.content.decode()
        assert "<td>Server #11 · srv-11</td>" in html
        assert f'<a href="/admin/audit/auditlog/{entries[0].pk}/change/">' in html
        assert admin_client.get(f"/admin/audit/auditlog/{entries[0].pk}/change/").status_code == 200

    def test_empty_installation_has_readable_empty_states(self, admin_client):
        AuditLog.objects.all().delete()  # the admin user's creation may have been recorded

        html = admin_client.get("/admin/").content.decode()

        for text in (
            "No datacenters yet.", "No GPU was assigned in the last 30 days.",
            "No assignment expires in the next 7 days.", "Nothing has been changed yet.",
        ):
            assert text in html

    def test_query_count_does_not_grow_with_the_fleet(self, admin_client, django_assert_num_queries):
        make_fleet()
        with django_assert_num_queries(DASHBOARD_QUERIES):
            assert admin_client.get("/admin/").status_code == 200

        dc = DatacenterFactory(name="DC-East")
        for n in range(5):
            server = ServerFactory(datacenter=dc, environment=EnvironmentFactory(code=f"e{n}"))
            ServiceFactory(container=ContainerFactory(server=server))
            assign(GPUFactory(server=server, index=0), UserFactory(), hours_ago=5, expires_in=timedelta(days=1))
            AuditLog.objects.create(username="ops", action="create", resource_type="server", resource_id=server.pk)
        with django_assert_num_queries(DASHBOARD_QUERIES):
            assert admin_client.get("/admin/").status_code == 200

    def test_signed_in_accounts_see_it_users_without_the_audit_entries(self, normal_user):
        client = Client()
        client.force_login(normal_user)
        response = client.get("/admin/")
        assert response.status_code == 200
        assert 'id="servers-by-status"' in response.content.decode()
        assert 'id="latest-audit"' not in response.content.decode()
        assert Client().get("/admin/")["Location"] == "/admin/login/?next=/admin/"


# Session, user, the two filter choice lists, the changelist's two counts, then the
# datacenters with their server counts. The servers load per datacenter (below).
TREE_QUERIES = 7
# Session, user, the two filter choice lists, two counts, the page of servers.
TREE_DATACENTER_QUERIES = 7
# Session, user, the server, its containers, their services, its GPUs.
TREE_SERVER_QUERIES = 6


def tree_fleet():
    fleet = make_fleet()
    web = fleet["web"]
    nginx = web.containers.order_by("id").first()
    ServiceFactory(container=nginx, name="nginx-80", port=80, status="unhealthy")
    gpu = GPUFactory(server=fleet["gpu_box"], index=3, model="NVIDIA H100")
    return {**fleet, "nginx": nginx, "gpu": gpu}


def positions(html, *needles):
    """Offsets of each needle in the page (each must be present)."""
    found = [html.find(n) for n in needles]
    assert -1 not in found, [n for n, at in zip(needles, found) if at == -1]
    return found


def tree_counts(response):
    return [(dc.name, dc.server_count) for dc in response.context["datacenters"]]


def fragment_servers(client, datacenter, query=""):
    response = client.get(f"/admin/tree/datacenter/{datacenter.pk}/?{query}")
    assert response.status_code == 200
    return [s.name for s in response.context["servers"]]


@pytest.mark.django_db
class TestTreePage:
    def test_datacenters_with_true_counts_and_a_fragment_url_each(self, admin_client):
        fleet = tree_fleet()

        response = admin_client.get("/admin/tree/")

        assert response.status_code == 200
        assert tree_counts(response) == [("DC-North", 2), ("DC-South", 1)]
        html = response.content.decode()
        north, south = positions(
            html,
            f'<details class="itam-datacenter" data-datacenter="{fleet["north"].pk}"\n'
            f'           data-src="/admin/tree/datacenter/{fleet["north"].pk}/?">',
            f'data-datacenter="{fleet["south"].pk}"',
        )
        assert north < south
        assert f'?datacenter__id__exact={fleet["north"].pk}" class="itam-count">2 servers</a>' in html

    def test_counts_are_the_whole_datacenter_not_a_page(self, admin_client):
        north = DatacenterFactory(name="AMS1")
        for i in range(55):  # more than a changelist page (50)
            ServerFactory(name=f"api-{i:02}", datacenter=north)

        response = admin_client.get("/admin/tree/")

        assert tree_counts(response) == [("AMS1", 55)]
        assert fragment_servers(admin_client, north) == [f"api-{i:02}" for i in range(50)]
        second = admin_client.get(f"/admin/tree/datacenter/{north.pk}/?p=2")
        assert [s.name for s in second.context["servers"]] == [f"api-{i:02}" for i in range(50, 55)]
        first = admin_client.get(f"/admin/tree/datacenter/{north.pk}/").content.decode()
        more = f'href="/admin/tree/datacenter/{north.pk}/?datacenter__id__exact={north.pk}&amp;p=2"'
        assert f'{more} class="button" data-tree-more>More servers (5 more)' in first
        assert "data-tree-more" not in second.content.decode()

    def test_a_datacenter_fragment_lists_its_servers_each_loading_its_children(self, admin_client):
        fleet = tree_fleet()

        response = admin_client.get(f"/admin/tree/datacenter/{fleet['north'].pk}/")

        assert [s.name for s in response.context["servers"]] == ["gpu-01", "web-01"]
        html = response.content.decode()
        gpu_box, web = positions(
            html,
            f'<details class="itam-server" data-server="{fleet["gpu_box"].pk}" '
            f'data-src="/admin/tree/server/{fleet["gpu_box"].pk}/">',
            f'<details class="itam-server" data-server="{fleet["web"].pk}" data-src="/admin/tree/server/{fleet["web"].pk}/">',
        )
        assert gpu_box < web
        assert f'href="/admin/inventory/server/{fleet["web"].pk}/change/"' in html
        assert '<span class="itam-badge" style="background-color: #E6A23C">Maintenance</span>' in html
        assert "db-01" not in html

    def test_a_server_fragment_draws_containers_services_and_gpus_with_links(self, admin_client):
        fleet = tree_fleet()

        web = admin_client.get(f"/admin/tree/server/{fleet['web'].pk}/").content.decode()
        gpu_box = admin_client.get(f"/admin/tree/server/{fleet['gpu_box'].pk}/").content.decode()

        nginx, service = positions(
            web, f'<details class="itam-container" data-container="{fleet["nginx"].pk}">', ">nginx-80</a>")
        assert nginx < service
        assert f'href="/admin/inventory/container/{fleet["nginx"].pk}/change/"' in web
        assert '<span class="itam-badge" style="background-color: #F56C6C">Unhealthy</span>' in web
        assert "No services in this container." in web  # web-01's second container
        assert f'<div class="itam-leaf itam-gpu" data-gpu="{fleet["gpu"].pk}">' in gpu_box
        assert f'href="/admin/inventory/gpu/{fleet["gpu"].pk}/change/">NVIDIA H100 #3</a>' in gpu_box
        assert admin_client.get("/admin/tree/server/999999/").status_code == 404

    def test_filters_and_search_are_the_server_lists(self, admin_client):
        fleet = tree_fleet()

        def counts(query):
            response = admin_client.get(f"/admin/tree/?{query}")
            assert response.status_code == 200
            return tree_counts(response)

        assert counts("status__exact=maintenance") == [("DC-North", 1)]
        assert counts(f"environment__id__exact={fleet['prod'].pk}") == [("DC-North", 1), ("DC-South", 1)]
        assert counts(f"datacenter__id__exact={fleet['south'].pk}") == [("DC-South", 1)]
        assert counts(f"q={fleet['web'].internal_ip}") == [("DC-North", 1)]
        assert fragment_servers(admin_client, fleet["north"], "status__exact=online") == ["web-01"]
        assert fragment_servers(admin_client, fleet["north"], f"q={fleet['web'].internal_ip}") == ["web-01"]
        assert "No servers match these filters." in admin_client.get("/admin/tree/?q=nothing-like-this").content.decode()

    def test_unknown_parameter_is_reported_not_a_500(self, admin_client):
        response = admin_client.get("/admin/tree/?colour=red")
        assert (response.status_code, response["Location"]) == (302, "/admin/tree/?e=1")
        assert admin_client.get("/admin/tree/?e=1").status_code == 200
        north = DatacenterFactory()
        assert admin_client.get(f"/admin/tree/datacenter/{north.pk}/?colour=red").status_code == 302

    def test_empty_installation(self, admin_client):
        html = admin_client.get("/admin/tree/").content.decode()
        assert 'No servers yet. <a href="/admin/inventory/server/add/">Add one</a>.' in html

    def test_query_count_does_not_grow_with_the_fleet(self, admin_client, django_assert_num_queries):
        fleet = tree_fleet()
        with django_assert_num_queries(TREE_QUERIES):
            admin_client.get("/admin/tree/")
        with django_assert_num_queries(TREE_DATACENTER_QUERIES):
            admin_client.get(f"/admin/tree/datacenter/{fleet['north'].pk}/")
        with django_assert_num_queries(TREE_SERVER_QUERIES):
            admin_client.get(f"/admin/tree/server/{fleet['web'].pk}/")
        for n in range(4):
            server = ServerFactory(datacenter=DatacenterFactory() if n % 2 else fleet["north"])
            ServiceFactory(container=ContainerFactory(server=server))
            GPUFactory(server=server, index=0, assigned_to=UserFactory(), status="in_use")
        with django_assert_num_queries(TREE_QUERIES):
            admin_client.get("/admin/tree/")
        with django_assert_num_queries(TREE_DATACENTER_QUERIES):
            admin_client.get(f"/admin/tree/datacenter/{fleet['north'].pk}/")
        for _ in range(3):
            ServiceFactory(container=ContainerFactory(server=fleet["web"]))
            GPUFactory(server=fleet["web"])
        with django_assert_num_queries(TREE_SERVER_QUERIES):
            admin_client.get(f"/admin/tree/server/{fleet['web'].pk}/")

    def test_signed_in_accounts_only(self, normal_user):
        assert Client().get("/admin/tree/")["Location"] == "/admin/login/?next=/admin/tree/"
        client = Client()
        client.force_login(normal_user)  # GET /servers/tree is any user's (API.md §2)
        server = ServerFactory()
        assert client.get("/admin/tree/").status_code == 200
        assert client.get(f"/admin/tree/datacenter/{server.datacenter_id}/").status_code == 200
        assert client.get(f"/admin/tree/server/{server.pk}/").status_code == 200


@pytest.mark.django_db
class TestListPolish:
    @pytest.mark.parametrize("model", ["datacenter", "server", "container", "service", "gpu"])
    def test_workbook_lists_reach_the_workbook_page(self, admin_client, model):
        html = admin_client.get(f"/admin/inventory/{model}/").content.decode()
        assert f'<a href="/admin/inventory/{model}/export/" class="export_link"' in html  # this sheet
        assert '<a href="/admin/inventory/workbook/" class="import_link"' in html  # one import path
        assert admin_client.get(f"/admin/inventory/{model}/export/").status_code == 200

    def test_empty_lists_say_so(self, admin_client):
        assert '<p class="itam-empty" id="changelist-empty">No servers yet.</p>' in admin_client.get(
            "/admin/inventory/server/").content.decode()
        ServerFactory(status="online")
        html = admin_client.get("/admin/inventory/server/?status__exact=offline").content.decode()
        assert '<p class="itam-empty" id="changelist-empty">No servers match the search or filters.</p>' in html
        assert "changelist-empty" not in admin_client.get("/admin/inventory/server/").content.decode()
