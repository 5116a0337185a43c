"""Every admin page of the inventory and accounts renders, with a query count that does not
grow with the number of rows shown."""
import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User, UserPreference
from inventory.choices import GPUStatus
from inventory.models import GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from tests.factories import (
    ContainerFactory,
    DatacenterFactory,
    EnvironmentFactory,
    GPUAssignmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [Datacenter, Environment, Server, Container, PortMapping, Service, GPU, GPUAssignment, User]


def build_fleet(servers, owner, environment_code="prod"):
    """A datacenter with ``servers`` servers, each with two containers (port mapping,
    service) and two GPUs, one of them held by ``owner``."""
    datacenter = DatacenterFactory()
    environment = EnvironmentFactory(code=environment_code, sort_order=len(environment_code))
    for _ in range(servers):
        server = ServerFactory(datacenter=datacenter, environment=environment)
        for _ in range(2):
            container = ContainerFactory(server=server, owner=owner, assigned_user=owner)
            PortMappingFactory(container=container)
            ServiceFactory(container=container)
        held = GPUFactory(server=server, index=0, status=GPUStatus.IN_USE, assigned_to=owner)
        GPUAssignmentFactory(gpu=held, user=owner)
        GPUFactory(server=server, index=1)
    UserPreference.objects.get_or_create(user=owner)
    return server


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def queries_for(client, path):
    client.get(path)  # warm the per-process caches (content types) first
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries)


def test_every_model_is_registered_with_history():
    from simple_history.admin import SimpleHistoryAdmin

    for model in ADMIN_MODELS:
        assert isinstance(admin.site._registry[model], SimpleHistoryAdmin), model
    assert UserPreference in {inline.model for inline in admin.site._registry[User].inlines}


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(admin_client, admin_user, model):
    build_fleet(1, admin_user)
    small = queries_for(admin_client, url(model, "changelist"))
    build_fleet(5, UserFactory(), "staging")
    assert model.objects.count() > 1
    assert queries_for(admin_client, url(model, "changelist")) == small


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_change_page_queries_do_not_grow_with_inline_rows(admin_client, admin_user, model):
    build_fleet(1, admin_user)
    first = model.objects.order_by("pk").first()
    small = queries_for(admin_client, url(model, "change", first.pk))
    # More containers, GPUs, port mappings and services under the same objects.
    server = Server.objects.get()
    for i in range(4):
        container = ContainerFactory(server=server, owner=admin_user)
        PortMappingFactory(container=Container.objects.order_by("pk").first())
        GPUFactory(server=server, index=2 + i)
        ServiceFactory(container=container)
    assert queries_for(admin_client, url(model, "change", first.pk)) == small
    assert queries_for(admin_client, url(model, "history", first.pk)) < 20


@pytest.mark.parametrize("model", [m for m in ADMIN_MODELS if m is not GPUAssignment], ids=lambda m: m.__name__)
def test_add_page_renders(admin_client, model):
    assert queries_for(admin_client, url(model, "add")) < 15


def test_server_pages_show_the_ssh_command_once_there_is_an_address(admin_client, admin_user):
    add_page = admin_client.get(url(Server, "add")).content.decode()
    assert "<label>SSH command:</label>" in add_page
    assert '<div class="readonly">-</div>' in add_page
    assert "@None" not in add_page
    server = ServerFactory(internal_ip="10.0.0.5", ssh_port=2222, ssh_user="ops")
    change_page = admin_client.get(url(Server, "change", server.pk)).content.decode()
    assert '<div class="readonly">ssh -p 2222 ops@10.0.0.5</div>' in change_page


def test_field_and_model_labels_spell_acronyms_and_units(admin_client, admin_user):
    form = admin_client.get(url(Server, "add")).context["adminform"].form
    labels = {name: form.fields[name].label for name in (
        "internal_ip", "external_ip", "cpu_cores", "memory_gb", "os_type", "cpu_usage", "ssh_port", "ssh_user")}
    assert labels == {
        "internal_ip": "Internal IP", "external_ip": "External IP", "cpu_cores": "CPU cores",
        "memory_gb": "Memory (GB)", "os_type": "OS type", "cpu_usage": "CPU usage (%)",
        "ssh_port": "SSH port", "ssh_user": "SSH user",
    }
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert ">GPU assignments</a>" in index and ">GPUs</a>" in index
    user_page = admin_client.get(url(User, "change", admin_user.pk)).content.decode()
    heading = user_page[user_page.index('id="preference-heading"'):]
    assert heading[heading.index(">") + 1:heading.index("</h2>")].strip() == "Preferences"


def test_gpu_assignments_are_read_only(admin_client, admin_user):
    build_fleet(1, admin_user)
    assignment = GPUAssignment.objects.get()
    assert admin_client.get(url(GPUAssignment, "add")).status_code == 403
    page = admin_client.get(url(GPUAssignment, "change", assignment.pk))
    assert page.status_code == 200
    assert b'name="user_name"' not in page.content
    assert admin_client.post(url(GPUAssignment, "delete", assignment.pk), {"post": "yes"}).status_code == 403
    assert GPUAssignment.objects.count() == 1


def test_server_changelist_query_count_and_columns(admin_client, admin_user, django_assert_num_queries):
    build_fleet(3, admin_user)
    # Session, user, the environment and datacenter filter lists, the filtered and the
    # full count, then one query for the page of servers with their counts: none per row.
    with django_assert_num_queries(7):
        response = admin_client.get(url(Server, "changelist"))
    html = response.content.decode()
    server = Server.objects.with_counts().first()
    assert server.container_count == 2 and server.gpu_count == 2
    row = html[html.index(f">{server.name}</a>"):]
    row = row[: row.index("</tr>")]
    assert 'class="itam-badge" style="background-color: #F56C6C">Production</span>' in row
    assert 'class="itam-badge" style="background-color: #67C23A">Online</span>' in row
    containers = f'<a href="/admin/inventory/container/?server__id__exact={server.pk}">2</a>'
    assert f'<td class="field-container_count">{containers}</td>' in row
    assert f'<td class="field-gpu_count"><a href="/admin/inventory/gpu/?server__id__exact={server.pk}">2</a></td>' in row
    datacenter = f'<a href="/admin/inventory/datacenter/{server.datacenter_id}/change/">{server.datacenter.name}</a>'
    assert f'<td class="field-datacenter">{datacenter}</td>' in row
    assert f'<td class="field-internal_ip">{server.internal_ip}</td>' in row


def test_server_search_by_ip_and_filter_by_environment(admin_client, admin_user):
    build_fleet(3, admin_user)
    target = Server.objects.order_by("pk").last()
    response = admin_client.get(url(Server, "changelist"), {"q": target.internal_ip})
    assert list(response.context["cl"].result_list) == [target]
    staging = EnvironmentFactory(code="staging", name="Staging", sort_order=2)
    Server.objects.filter(pk=target.pk).update(environment=staging)
    response = admin_client.get(url(Server, "changelist"), {"environment__id__exact": staging.pk})
    assert list(response.context["cl"].result_list) == [target]


def test_counts_sort_the_changelist(admin_client, admin_user):
    build_fleet(2, admin_user)
    busy = Server.objects.order_by("pk").last()
    ContainerFactory(server=busy, owner=admin_user)
    # Column 6 is container_count.
    response = admin_client.get(url(Server, "changelist"), {"o": "-6"})
    assert list(response.context["cl"].result_list)[0] == busy


def test_add_server_with_inline_container_and_gpu(admin_client, admin_user):
    datacenter = DatacenterFactory(name="FRA1")
    environment = EnvironmentFactory(code="prod")
    data = {
        "name": "web-01", "datacenter": datacenter.pk, "environment": environment.pk,
        "internal_ip": "10.1.0.10", "cpu_usage": 0, "memory_usage": 0, "disk_usage": 0,
        "status": "online", "ssh_port": 22, "ssh_user": "root",
        "containers-TOTAL_FORMS": 1, "containers-INITIAL_FORMS": 0,
        "containers-0-name": "nginx-01", "containers-0-image": "nginx:1.27",
        "containers-0-status": "running", "containers-0-sort_order": 0,
        "gpus-TOTAL_FORMS": 1, "gpus-INITIAL_FORMS": 0,
        "gpus-0-index": 0, "gpus-0-model": "NVIDIA H100", "gpus-0-memory_gb": 80,
        "gpus-0-status": "free", "gpus-0-sort_order": 0,
    }
    response = admin_client.post(url(Server, "add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    server = Server.objects.get(name="web-01")
    container = server.containers.get()
    assert (container.name, container.owner) == ("nginx-01", admin_user)
    assert server.gpus.get().model == "NVIDIA H100"
    assert server.history.count() == 1 and container.history.count() == 1


def test_add_container_owner_is_the_creator(admin_client, admin_user):
    server = ServerFactory()
    data = {
        "name": "redis-01", "server": server.pk, "image": "redis:7", "status": "running",
        "cpu_usage": 0, "memory_usage": 0, "sort_order": 0,
        "port_mappings-TOTAL_FORMS": 1, "port_mappings-INITIAL_FORMS": 0,
        "port_mappings-0-container_port": 6379, "port_mappings-0-internal_port": 26379,
        "port_mappings-0-protocol": "tcp",
    }
    response = admin_client.post(url(Container, "add"), data)
    assert response.status_code == 302
    container = Container.objects.get(name="redis-01")
    assert container.owner == admin_user
    assert container.port_mappings.get().mapping_chain == f"6379 → {server.internal_ip}:26379"


def test_held_gpu_cannot_leave_in_use_from_the_admin(admin_client, admin_user):
    build_fleet(1, admin_user)
    gpu = GPU.objects.get(index=0)
    data = {
        "server": gpu.server_id, "model": gpu.model, "memory_gb": gpu.memory_gb, "index": 0,
        "gpu_usage": 0, "memory_usage": 0, "status": "free", "sort_order": 0,
        "assignments-TOTAL_FORMS": 0, "assignments-INITIAL_FORMS": 0,
    }
    page = admin_client.get(url(GPU, "change", gpu.pk))
    assert "status" not in page.context["adminform"].form.fields  # shown read-only: Release changes it
    response = admin_client.post(url(GPU, "change", gpu.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors  # status ignored
    gpu.refresh_from_db()
    assert (gpu.status, gpu.assigned_to) == ("in_use", admin_user)


def test_user_add_and_password_change(admin_client):
    data = {
        "username": "carol", "display_name": "Carol", "email": "carol@example.com", "role": Role.ADMIN,
        "password1": "Str0ng-pass-42", "password2": "Str0ng-pass-42",
        "preference-TOTAL_FORMS": 0, "preference-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url(User, "add"), data)
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert (carol.display_name, carol.role, carol.is_staff, carol.check_password("Str0ng-pass-42")) == (
        "Carol", "admin", True, True,
    )
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[carol.pk]),
        {"password1": "An0ther-pass-77", "password2": "An0ther-pass-77"},
    )
    assert response.status_code == 302
    before = carol.tokens_valid_after
    carol.refresh_from_db()
    assert carol.check_password("An0ther-pass-77")
    assert before is None and carol.tokens_valid_after is not None  # earlier tokens revoked


def change_user_data(user, **changes):
    data = {
        "username": user.username, "display_name": user.display_name, "email": user.email or "",
        "role": user.role, "is_active": "on" if user.is_active else "",
        "preference-TOTAL_FORMS": 0, "preference-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_deactivating_a_user_revokes_tokens(admin_client, normal_user, api_as):
    api = api_as(normal_user)
    assert api.get("/auth/me").status_code == 200
    response = admin_client.post(url(User, "change", normal_user.pk), change_user_data(normal_user, is_active=""))
    assert response.status_code == 302
    normal_user.refresh_from_db()
    assert normal_user.is_active is False and normal_user.tokens_valid_after is not None
    assert api.get("/auth/me").status_code == 401


def test_last_active_admin_cannot_be_demoted(admin_client, admin_user):
    response = admin_client.post(url(User, "change", admin_user.pk), change_user_data(admin_user, role=Role.USER))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["At least one active administrator must remain."]
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_duplicate_username_is_a_form_error(admin_client, normal_user):
    data = {
        "username": "ALICE", "display_name": "Alice 2", "role": Role.USER,
        "password1": "Str0ng-pass-42", "password2": "Str0ng-pass-42",
        "preference-TOTAL_FORMS": 0, "preference-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url(User, "add"), data)
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def test_server_history_revert_page(admin_client, admin_user):
    server = build_fleet(1, admin_user)
    original = server.name
    server.name = "renamed"
    server.save()
    first = server.history.earliest()
    response = admin_client.get(
        reverse("admin:inventory_server_simple_history", args=[server.pk, first.history_id])
    )
    assert response.status_code == 200
    assert response.context["adminform"].form["name"].value() == original
    assert response.context["revert_disabled"] is False


@pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")
@pytest.mark.parametrize(("field", "factory"), [("datacenter", DatacenterFactory), ("environment", EnvironmentFactory)])
def test_autocomplete_lists_keep_their_order(admin_client, field, factory):
    if field == "datacenter":
        names = ["b-dc", "a-dc", "c-dc"]
        for name in names:
            factory(name=name)
        expected = sorted(names)
    else:
        for code, order in (("dev", 3), ("prod", 1), ("test", 2)):
            factory(code=code, sort_order=order)
        expected = ["Production", "Test", "Development"]
    response = admin_client.get(
        reverse("admin:autocomplete"), {"app_label": "inventory", "model_name": "server", "field_name": field}
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == expected
