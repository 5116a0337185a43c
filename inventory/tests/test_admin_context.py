"""The admin names every object with its context, links related objects, and offers GPU
actions where the GPU is (issue 16), on a fleet whose servers share names across datacenters."""
import json
import re

import pytest
from django.urls import reverse

from audit.models import AuditLog
from inventory.choices import GPUStatus
from inventory.models import GPU, Container, GPUAssignment, PortMapping, Server, Service
from inventory.services import gpu_assignment
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUFactory, PortMappingFactory, ServerFactory,
    ServiceFactory, UserFactory,
)

from .test_admin_pages import admin_client, url  # noqa: F401 - the fixture and the URL helper

pytestmark = pytest.mark.django_db


def twin_fleet(owner, sites=("AMS1", "FRA1", "LON1")):
    """``api-01`` and ``web-01`` in each datacenter, each with ``nginx-01`` (one service, one
    mapping) and an ``NVIDIA H100`` #0."""
    environment = EnvironmentFactory(code="prod")
    fleet = {}
    for site in sites:
        datacenter = DatacenterFactory(name=site)
        for name in ("api-01", "web-01"):
            server = ServerFactory(name=name, datacenter=datacenter, environment=environment)
            container = ContainerFactory(name="nginx-01", server=server, owner=owner)
            ServiceFactory(name="http", container=container, owner=owner)
            PortMappingFactory(container=container)
            GPUFactory(server=server, index=0, model="NVIDIA H100")
            fleet[site, name] = server
    return fleet


# --- 1. labels with context ------------------------------------------------------------------


def test_every_label_names_its_context(admin_user):
    fleet = twin_fleet(admin_user)
    server = fleet["AMS1", "web-01"]
    container = server.containers.get()
    gpu = server.gpus.get()
    mapping = container.port_mappings.get()

    assert str(server) == server.label == "web-01 (AMS1)"
    assert str(container) == "nginx-01 on web-01 (AMS1)"
    assert str(container.services.get()) == "http in nginx-01 on web-01 (AMS1)"
    assert str(gpu) == "NVIDIA H100 #0 on web-01 (AMS1)"
    assert str(mapping) == f"nginx-01 on web-01 (AMS1): {mapping.mapping_chain}"
    assignment = gpu_assignment.assign_gpu(gpu.pk, admin_user.pk, by=admin_user).assignments.get()
    assert str(assignment) == f"NVIDIA H100 #0 on web-01 (AMS1), held by {admin_user.display_name}"
    # The API's and the audit log's names stay as the contract has them.
    assert gpu.display_name == "NVIDIA H100 on web-01"


def autocomplete(client, model_name, field_name, term):
    response = client.get("/admin/autocomplete/", {
        "app_label": "inventory", "model_name": model_name, "field_name": field_name, "term": term,
    })
    assert response.status_code == 200
    return [row["text"] for row in json.loads(response.content)["results"]]


def test_pickers_are_autocompletes_that_search_and_show_the_context(admin_client, admin_user):
    twin_fleet(admin_user)

    assert autocomplete(admin_client, "container", "server", "api-01") == [
        "api-01 (AMS1)", "api-01 (FRA1)", "api-01 (LON1)",
    ]
    assert autocomplete(admin_client, "container", "server", "FRA1") == ["api-01 (FRA1)", "web-01 (FRA1)"]
    assert autocomplete(admin_client, "service", "container", "LON1") == [
        "nginx-01 on api-01 (LON1)", "nginx-01 on web-01 (LON1)",
    ]
    assert autocomplete(admin_client, "portmapping", "container", "AMS1")[0] == "nginx-01 on api-01 (AMS1)"
    assert autocomplete(admin_client, "gpu", "server", "web")[:2] == ["web-01 (AMS1)", "web-01 (FRA1)"]


def test_autocomplete_queries_do_not_grow_with_results(admin_client, admin_user, django_assert_num_queries):
    twin_fleet(admin_user)
    # Session, user, the count of matches, the page of them (labels joined in), their port
    # mappings (the container admin's queryset prefetches them).
    with django_assert_num_queries(5):
        assert len(autocomplete(admin_client, "service", "container", "nginx")) == 6


# Session, user, the counts (filtered and total), the page's rows with everything their labels
# and links read, what the admin's queryset prefetches (a container's mappings, a GPU's open
# assignment), each filter's choices, the date hierarchy's two.
CHANGELIST_QUERIES = {Server: 7, Container: 7, Service: 6, GPU: 8, PortMapping: 6, GPUAssignment: 8}


@pytest.mark.parametrize("model", list(CHANGELIST_QUERIES), ids=lambda m: m.__name__)
def test_changelists_read_labels_without_a_query_per_row(admin_client, admin_user, model, django_assert_num_queries):
    fleet = twin_fleet(admin_user)
    for server in fleet.values():
        gpu_assignment.assign_gpu(server.gpus.get().pk, admin_user.pk, by=admin_user)
    assert model.objects.count() >= 6

    with django_assert_num_queries(CHANGELIST_QUERIES[model]):
        response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200


def test_server_lists_sort_by_datacenter_then_name(admin_client, admin_user):
    twin_fleet(admin_user, sites=("LON1", "AMS1"))
    listed = admin_client.get(url(Server, "changelist")).context["cl"].result_list
    assert [s.label for s in listed] == ["api-01 (AMS1)", "web-01 (AMS1)", "api-01 (LON1)", "web-01 (LON1)"]
    containers = admin_client.get(url(Container, "changelist")).content.decode()
    server = Server.objects.get(name="web-01", datacenter__name="LON1")
    assert f'<a href="{url(Server, "change", server.pk)}">web-01 (LON1)</a>' in containers


# --- 3. GPU actions on the GPU's page ---------------------------------------------------------


def test_a_free_gpu_offers_assign_and_a_status_of_free_or_error(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()

    response = admin_client.get(url(GPU, "change", gpu.pk))

    html = response.content.decode()
    assert f'<a href="{url(GPU, "assign", gpu.pk)}" class="itam-gpu-action">Assign…</a>' in html
    assert "Release…" not in html
    assert response.context["adminform"].form.fields["status"].choices == [("free", "Free"), ("error", "Error")]


def test_a_held_gpu_offers_release_and_shows_status_and_holder_read_only(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()
    alice = UserFactory(username="alice", display_name="Alice Chen")
    gpu_assignment.assign_gpu(gpu.pk, alice.pk, by=admin_user)

    response = admin_client.get(url(GPU, "change", gpu.pk))

    html = response.content.decode()
    assert f'<a href="{url(GPU, "release", gpu.pk)}" class="itam-gpu-action">Release…</a>' in html
    assert "Assign…" not in html
    form = response.context["adminform"].form
    assert "status" not in form.fields and "assigned_to" not in form.fields
    assert '<div class="readonly">Alice Chen</div>' in html
    listed = admin_client.get(url(GPU, "changelist")).content.decode()
    assert '<td class="field-holder">Alice Chen</td>' in listed


def test_a_gpu_in_error_offers_release_and_free_or_error(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()
    GPU.objects.filter(pk=gpu.pk).update(status=GPUStatus.ERROR)

    response = admin_client.get(url(GPU, "change", gpu.pk))

    assert [label for label, _ in response.context["gpu_actions"]] == ["Release…"]
    assert response.context["adminform"].form.fields["status"].choices == [("free", "Free"), ("error", "Error")]


def test_the_gpu_status_form_refuses_in_use(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()
    data = {
        "server": gpu.server_id, "model": gpu.model, "memory_gb": gpu.memory_gb, "index": 0, "status": "in_use",
        "sort_order": 0, "assignments-TOTAL_FORMS": 0, "assignments-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url(GPU, "change", gpu.pk), data)
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["status"])
    response = admin_client.post(url(GPU, "change", gpu.pk), {**data, "status": "error"})
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert (gpu.status, gpu.gpu_usage) == ("error", 0)  # the usage left empty: 0, the API's default


def test_the_assign_page_picks_the_user_with_an_autocomplete(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()
    html = admin_client.get(url(GPU, "assign", gpu.pk)).content.decode()
    assert 'class="admin-autocomplete"' in html
    assert 'data-model-name="gpu" data-field-name="assigned_to"' in html
    assert f'{gpu.label}</a>' in html


# --- 4. the assignment list -------------------------------------------------------------------


def test_assignment_list_filters_open_and_released(admin_client, admin_user):
    fleet = twin_fleet(admin_user)
    held = fleet["AMS1", "web-01"].gpus.get()
    released = fleet["FRA1", "web-01"].gpus.get()
    for gpu in (held, released):
        gpu_assignment.assign_gpu(gpu.pk, admin_user.pk, by=admin_user)
    gpu_assignment.release_gpu(released.pk, by=admin_user)

    def listed(query):
        response = admin_client.get(url(GPUAssignment, "changelist") + query)
        return [a.gpu.label for a in response.context["cl"].result_list]

    assert listed("?state=open") == ["NVIDIA H100 #0 on web-01 (AMS1)"]
    assert listed("?state=released") == ["NVIDIA H100 #0 on web-01 (FRA1)"]
    html = admin_client.get(url(GPUAssignment, "changelist")).content.decode()
    assert '<a href="?state=open">Open</a>' in html and '<a href="?state=released">Released</a>' in html
    assert f'<a href="{url(GPU, "change", held.pk)}">NVIDIA H100 #0 on web-01 (AMS1)</a>' in html
    # Extend… on the open assignment only (API.md §11.1, in the admin).
    assert f'href="/admin/inventory/gpu/{held.pk}/extend/">Extend…</a>' in html
    assert f'href="/admin/inventory/gpu/{released.pk}/extend/"' not in html
    assignment = held.assignments.get()
    page = admin_client.get(url(GPUAssignment, "change", assignment.pk)).content.decode()
    assert f"NVIDIA H100 #0 on web-01 (AMS1), held by {admin_user.display_name}" in page


# --- 6. links between related objects --------------------------------------------------------


def test_a_container_page_lists_its_services(admin_client, admin_user):
    container = twin_fleet(admin_user)["AMS1", "api-01"].containers.get()
    ServiceFactory(name="metrics", container=container, owner=admin_user)
    html = admin_client.get(url(Container, "change", container.pk)).content.decode()
    for service in container.services.all():
        assert f'<a href="{url(Service, "change", service.pk)}">{service.name}</a>' in html


def test_a_user_page_shows_gpus_held_and_containers(admin_client, admin_user):
    fleet = twin_fleet(admin_user)
    bob = UserFactory(username="bob")
    gpu = fleet["LON1", "api-01"].gpus.get()
    gpu_assignment.assign_gpu(gpu.pk, bob.pk, by=admin_user)
    used = fleet["AMS1", "web-01"].containers.get()
    Container.objects.filter(pk=used.pk).update(assigned_user=bob)

    html = admin_client.get(reverse("admin:accounts_user_change", args=[bob.pk])).content.decode()

    assert f'<a href="{url(GPU, "change", gpu.pk)}">NVIDIA H100 #0 on api-01 (LON1)</a>' in html
    assert f'<a href="{url(Container, "change", used.pk)}">nginx-01 on web-01 (AMS1)</a>' in html


def test_audit_entries_link_to_their_object_and_its_history(admin_client, admin_user, django_assert_num_queries):
    twin_fleet(admin_user)
    server = ServerFactory(name="gone-01")
    gone_pk = server.pk
    server.delete()
    AuditLog.objects.all().delete()
    AuditLog.objects.bulk_create([
        AuditLog(username="ops", action="update", resource_type=kind, resource_id=obj.pk, resource_name="x")
        for kind, model in (("server", Server), ("container", Container), ("gpu", GPU), ("service", Service))
        for obj in model.objects.all()
    ] + [AuditLog(username="ops", action="delete", resource_type="server", resource_id=gone_pk,
                  resource_name="gone-01")])

    # Session, user, the two counts, the page, one query per resource type on the page
    # (server, container, GPU, service). No date hierarchy: its SELECT DISTINCT over every
    # entry took ~1 s at 75,000 entries; the "created at" filter offers the same periods.
    with django_assert_num_queries(9):
        response = admin_client.get(reverse("admin:audit_auditlog_changelist"))

    html = response.content.decode()
    server = Server.objects.get(name="api-01", datacenter__name="AMS1")
    assert (f'<a href="{url(Server, "change", server.pk)}">api-01 (AMS1)</a> · '
            f'<a href="{url(Server, "history", server.pk)}" class="itam-history-link">history</a>') in html
    gpu = GPU.objects.filter(server=server).get()
    assert f'<a href="{url(GPU, "change", gpu.pk)}">NVIDIA H100 #0 on api-01 (AMS1)</a>' in html
    assert 'gone-01 <span class="itam-muted">(deleted)</span>' in html


# --- 9. words --------------------------------------------------------------------------------


@pytest.mark.parametrize("path, title", [
    ("/admin/inventory/server/", "Servers"), ("/admin/inventory/gpu/", "GPUs"),
    ("/admin/inventory/gpuassignment/", "GPU assignments"), ("/admin/accounts/user/", "Users"),
    ("/admin/audit/auditlog/", "Audit logs"),
])
def test_changelist_titles_are_the_plural_name(admin_client, path, title):
    html = admin_client.get(path).content.decode()
    assert f"<h1>{title}</h1>" in html
    assert "to change" not in html


def test_index_and_audit_words(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert ">GPUs</a>" in index and "Gpus" not in index
    html = admin_client.get(reverse("admin:audit_auditlog_changelist")).content.decode()
    for label in ("IP address", "Request ID", "Resource ID"):
        assert f">{label}</a>" in html


def test_gpu_history_reads_as_people_write_it(admin_client, admin_user):
    gpu = twin_fleet(admin_user)["AMS1", "api-01"].gpus.get()
    alice = UserFactory(username="alice", display_name="Alice Chen")
    gpu_assignment.assign_gpu(gpu.pk, alice.pk, by=admin_user)
    gpu_assignment.release_gpu(gpu.pk, by=admin_user)

    html = admin_client.get(url(GPU, "history", gpu.pk)).content.decode()

    changes = [" ".join(item.split()) for item in re.findall(r"<li>(.*?)</li>", html, re.S)]
    arrow = "&nbsp;&rarr;&nbsp;&nbsp;"
    assert changes == [  # newest first: the release, then the assignment
        f"<strong>Assigned to:</strong> Alice Chen {arrow}—", f"<strong>Status:</strong> In use {arrow}Free",
        f"<strong>Assigned to:</strong> — {arrow}Alice Chen", f"<strong>Status:</strong> Free {arrow}In use",
    ]
    assert "None" not in html


def test_usage_percentages_are_optional_on_forms(admin_client, admin_user):
    datacenter, environment = DatacenterFactory(name="AMS1"), EnvironmentFactory(code="prod")
    data = {"name": "api-02", "datacenter": datacenter.pk, "environment": environment.pk,
            "internal_ip": "10.1.0.2", "status": "online", "ssh_port": 22, "ssh_user": "root",
            "containers-TOTAL_FORMS": 0, "containers-INITIAL_FORMS": 0,
            "gpus-TOTAL_FORMS": 0, "gpus-INITIAL_FORMS": 0}
    response = admin_client.post(url(Server, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    server = Server.objects.get(name="api-02")
    assert (server.cpu_usage, server.memory_usage, server.disk_usage) == (0, 0, 0)
    form = admin_client.get(url(Server, "add")).context["adminform"].form
    assert not any(form.fields[name].required for name in ("cpu_usage", "memory_usage", "disk_usage"))


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml")
    assert response.content.startswith(b"<svg")
