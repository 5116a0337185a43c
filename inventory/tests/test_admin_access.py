"""The admin gives each account what the API gives it (issue 16, point 8; API.md §2): a
`user` signs in, reads the inventory, adds containers and services, changes and deletes its
own; admin-only pages stay admin-only. The admin asks the same rules as the API
(``itam.access``)."""
import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from inventory.models import GPU, Container, Datacenter, Environment, GPUAssignment, PortMapping, Server, Service
from tests.factories import (
    ContainerFactory,
    GPUAssignmentFactory,
    GPUFactory,
    PortMappingFactory,
    ServerFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

V, A, C, D = "view", "add", "change", "delete"
ALL, READ, NONE = {V, A, C, D}, {V}, set()
# model -> (what a user may do with its own object, with another's); admins may do ALL
# except on rows written only by services (read-only for everyone).
USER_MAY = {
    Datacenter: (READ, READ), Environment: (READ, READ), Server: (READ, READ), GPU: (READ, READ),
    GPUAssignment: (READ, READ), Container: (ALL, {V, A}), Service: (ALL, {V, A}), PortMapping: (ALL, {V, A}),
    User: (NONE, NONE), AuditLog: (NONE, NONE),
}
READ_ONLY_FOR_ALL = {GPUAssignment, AuditLog}


@pytest.fixture
def objects(normal_user, other_user):
    """model -> (an object owned by normal_user, one owned by other_user) (the same object
    twice for models without an owner)."""
    server = ServerFactory()
    mine, theirs = ContainerFactory(server=server, owner=normal_user), ContainerFactory(server=server, owner=other_user)
    gpu = GPUFactory(server=server)
    assignment = GPUAssignmentFactory(gpu=gpu, user=other_user)
    entry = AuditLog.objects.first()
    return {
        Datacenter: (server.datacenter,) * 2, Environment: (server.environment,) * 2, Server: (server,) * 2,
        GPU: (gpu,) * 2, GPUAssignment: (assignment,) * 2, Container: (mine, theirs),
        Service: (ServiceFactory(container=theirs, owner=normal_user),
                  ServiceFactory(container=mine, owner=other_user)),
        PortMapping: (PortMappingFactory(container=mine), PortMappingFactory(container=theirs)),
        User: (normal_user, other_user), AuditLog: (entry, entry),
    }


def allowed(user, model, obj):
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site.get_model_admin(model)
    return {perm for perm, ok in [
        (V, model_admin.has_view_permission(request, obj)), (A, model_admin.has_add_permission(request)),
        (C, model_admin.has_change_permission(request, obj)), (D, model_admin.has_delete_permission(request, obj)),
    ] if ok}


@pytest.mark.parametrize("model", list(USER_MAY), ids=lambda m: m.__name__)
def test_a_user_may_in_the_admin_what_the_api_lets_it(model, objects, normal_user):
    own, others = objects[model]
    may_own, may_others = USER_MAY[model]
    assert allowed(normal_user, model, own) == may_own
    assert allowed(normal_user, model, others) == may_others
    assert allowed(normal_user, model, None) == (may_own | may_others)  # the kind: lists and buttons


@pytest.mark.parametrize("model", list(USER_MAY), ids=lambda m: m.__name__)
def test_an_admin_may_everything_but_write_service_only_rows(model, objects, admin_user):
    expected = READ if model in READ_ONLY_FOR_ALL else ALL
    for obj in (*objects[model], None):
        assert allowed(admin_user, model, obj) == expected


def test_inactive_accounts_may_nothing(objects, normal_user, admin_user):
    for user in (normal_user, admin_user):
        user.is_active = False
        assert all(allowed(user, model, None) == NONE for model in USER_MAY)


# --- through the pages ---------------------------------------------------------------------

@pytest.fixture
def user_client(client, normal_user):
    client.force_login(normal_user)
    return client


def test_the_login_form_admits_a_user_account(client, normal_user):
    response = client.post(reverse("admin:login"), {"username": "alice", "password": "Secret-pass-123",
                                                    "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_says_nothing_about_staff(client, normal_user):
    response = client.post(reverse("admin:login"), {"username": "alice", "password": "wrong"})
    assert "staff" not in response.content.decode()
    assert "Please enter the correct username and password." in response.content.decode()


def test_an_inactive_account_cannot_sign_in(client, normal_user):
    User.objects.filter(pk=normal_user.pk).update(is_active=False)
    response = client.post(reverse("admin:login"), {"username": "alice", "password": "Secret-pass-123"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_user_changes_its_password_and_logs_out(user_client, normal_user):
    response = user_client.post(reverse("admin:password_change"), {
        "old_password": "Secret-pass-123", "new_password1": "An0ther-pass-456", "new_password2": "An0ther-pass-456"})
    assert response.status_code == 302
    normal_user.refresh_from_db()
    assert normal_user.check_password("An0ther-pass-456")
    assert user_client.post(reverse("admin:logout")).status_code == 200
    assert user_client.get("/admin/").status_code == 302


def test_the_dashboard_of_a_user_lists_the_inventory_not_users_or_audit(user_client, objects):
    page = user_client.get("/admin/").content.decode()
    assert "/admin/inventory/container/" in page and "/admin/inventory/server/" in page
    assert "/admin/accounts/user/" not in page and "/admin/audit/auditlog/" not in page
    assert 'id="latest-audit"' not in page and "/admin/inventory/workbook/" not in page


@pytest.mark.parametrize("path", [
    "/admin/accounts/user/", "/admin/audit/auditlog/", "/admin/inventory/workbook/",
    "/admin/inventory/workbook/export/?type=all", "/admin/inventory/server/add/",
])
def test_admin_only_pages_are_refused(user_client, path):
    assert user_client.get(path).status_code == 403


def test_gpu_assign_and_release_pages_are_admin_only(user_client, objects):
    gpu = objects[GPU][0]
    for name in ("inventory_gpu_assign", "inventory_gpu_release"):
        assert user_client.get(reverse(f"admin:{name}", args=[gpu.pk])).status_code == 403


def test_a_user_adds_a_container_and_owns_it(user_client, normal_user, objects):
    server = objects[Server][0]
    response = user_client.post(reverse("admin:inventory_container_add"), {
        "name": "mine-02", "server": server.pk, "status": "running", "cpu_usage": 0, "memory_usage": 0,
        "sort_order": 0, "port_mappings-TOTAL_FORMS": 0, "port_mappings-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Container.objects.get(name="mine-02").owner == normal_user


def test_another_users_container_opens_read_only_and_cannot_be_changed(user_client, objects):
    theirs = objects[Container][1]
    url = reverse("admin:inventory_container_change", args=[theirs.pk])
    page = user_client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert user_client.post(url, {"name": "taken-over"}).status_code == 403
    assert user_client.post(reverse("admin:inventory_container_delete", args=[theirs.pk]),
                            {"post": "yes"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.name != "taken-over"


def test_a_user_deletes_its_container_with_others_services_in_it(user_client, objects):
    mine = objects[Container][0]  # holds a service of other_user's, as the API's delete takes it
    response = user_client.post(reverse("admin:inventory_container_delete", args=[mine.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Container.objects.filter(pk=mine.pk).exists()


def test_delete_selected_over_others_containers_is_refused(user_client, objects):
    mine, theirs = objects[Container]
    response = user_client.post(reverse("admin:inventory_container_changelist"), {
        "action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"})
    assert Container.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
    assert response.status_code == 403


def test_a_user_adds_mappings_only_to_its_own_containers(user_client, objects):
    mine, theirs = objects[Container]
    url = reverse("admin:inventory_portmapping_add")
    values = {"container_port": 22, "internal_port": 2222, "protocol": "tcp"}
    refused = user_client.post(url, {**values, "container": theirs.pk})
    assert "container" in refused.context["adminform"].form.errors
    assert user_client.post(url, {**values, "container": mine.pk}).status_code == 302


def test_the_assigned_user_picker_searches_the_directory(user_client, objects):
    response = user_client.get("/admin/autocomplete/", {
        "app_label": "inventory", "model_name": "container", "field_name": "assigned_user", "term": "bo"})
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["bob"]


def test_sort_order_is_the_admins(user_client, admin_user, objects, client):
    mine = objects[Container][0]
    form = user_client.get(reverse("admin:inventory_container_change", args=[mine.pk])).context["adminform"].form
    assert "sort_order" not in form.fields and "name" in form.fields
    client.force_login(admin_user)
    form = client.get(reverse("admin:inventory_container_change", args=[mine.pk])).context["adminform"].form
    assert "sort_order" in form.fields


def test_a_user_finds_its_own_containers_and_the_gpus_it_holds(user_client, normal_user, objects):
    held = GPUFactory(server=objects[Server][0], index=5, status="in_use", assigned_to=normal_user)
    GPUAssignmentFactory(gpu=held, user=normal_user)
    containers = user_client.get(reverse("admin:inventory_container_changelist"), {"owner__mine": "1"})
    assert [c.pk for c in containers.context["cl"].result_list] == [objects[Container][0].pk]
    gpus = user_client.get(reverse("admin:inventory_gpu_changelist"), {"assigned_to__mine": "1"})
    assert [g.pk for g in gpus.context["cl"].result_list] == [held.pk]
