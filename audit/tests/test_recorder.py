"""Model-level writes produce exactly the audit entries of API.md §6.3."""
import pytest
from django.core.management import call_command  # noqa: F401

from audit.choices import Action, ResourceType
from audit.context import ChangeContext, system_context, use_context
from audit.models import AuditLog
from audit.recorder import audit_action, extra_changes
from inventory.models import GPU, Container, PortMapping, Server, Service
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUAssignmentFactory, GPUFactory, PortMappingFactory,
    ServerFactory, ServiceFactory, UserFactory,
)

pytestmark = pytest.mark.django_db


def entries(**filters):
    return list(AuditLog.objects.filter(**filters).order_by("id"))


@pytest.fixture
def request_ctx(admin_user):
    ctx = ChangeContext(user=admin_user, username=admin_user.username, ip_address="203.0.113.9",
                        user_agent="pytest-agent", request_id="req-1")
    with use_context(ctx):
        yield ctx


def test_create_records_every_audited_field_with_old_null(request_ctx, admin_user):
    dc = DatacenterFactory(name="DC-North", location="Building A")
    [entry] = entries(resource_type=ResourceType.DATACENTER)
    assert entry.action == Action.CREATE
    assert (entry.user_id, entry.username, entry.ip_address, entry.user_agent, entry.request_id) == (
        admin_user.pk, "admin", "203.0.113.9", "pytest-agent", "req-1")
    assert (entry.resource_id, entry.resource_name) == (dc.pk, "DC-North")
    assert entry.changes == {
        "name": {"old": None, "new": "DC-North"},
        "location": {"old": None, "new": "Building A"},
        "description": {"old": None, "new": None},
        "is_active": {"old": None, "new": True},
    }
    assert entry.snapshot == {}


def test_update_records_only_changed_fields_with_api_names(request_ctx):
    server = ServerFactory(name="web-01")
    other_dc = DatacenterFactory(name="DC-South")
    before = server.datacenter_id
    AuditLog.objects.all().delete()

    server.datacenter = other_dc
    server.cpu_usage = 42.5
    server.save()

    [entry] = entries()
    assert entry.action == Action.UPDATE
    assert (entry.resource_type, entry.resource_id, entry.resource_name) == ("server", server.pk, "web-01")
    assert entry.changes == {
        "datacenter_id": {"old": before, "new": other_dc.pk},
        "cpu_usage": {"old": 0.0, "new": 42.5},
    }


def test_noop_update_writes_no_entry(request_ctx):
    server = ServerFactory()
    AuditLog.objects.all().delete()
    server.save()  # only updated_at moves
    assert entries() == []


def test_password_is_masked(request_ctx):
    user = UserFactory.build(username="carol")
    user.set_password("Secret-pass-123")
    user.save()
    [created] = entries(resource_type=ResourceType.USER, resource_id=user.pk)
    assert created.changes["password"] == {"old": None, "new": "***"}
    assert created.resource_name == "carol"

    user.set_password("Another-pass-456")
    user.save()
    [updated] = entries(resource_type=ResourceType.USER, resource_id=user.pk, action=Action.UPDATE)
    assert updated.changes == {"password": {"old": "***", "new": "***"}}


def test_gpu_name_and_assigned_to_field(request_ctx, normal_user):
    gpu = GPUFactory(model="NVIDIA A100", server=ServerFactory(name="gpu-01"))
    AuditLog.objects.all().delete()
    with audit_action(Action.ASSIGN):
        GPUAssignmentFactory(gpu=gpu, user=normal_user)  # holds the GPU; no entry of its own
    [entry] = entries()
    assert (entry.action, entry.resource_type, entry.resource_name) == ("assign", "gpu", "NVIDIA A100 on gpu-01")
    assert entry.changes == {
        "assigned_to": {"old": None, "new": normal_user.pk},
        "status": {"old": "free", "new": "in_use"},
    }


def test_audit_action_nests_and_resets(request_ctx):
    with audit_action("batch_update"):
        with audit_action("import"):
            DatacenterFactory()
        DatacenterFactory()
    DatacenterFactory()
    assert [e.action for e in entries(resource_type="datacenter")] == ["import", "batch_update", "create"]


def test_audit_action_rejects_unknown_action():
    with pytest.raises(ValueError):
        with audit_action("explode"):
            pass


def test_port_mappings_never_write_entries_but_container_extra_changes_do(request_ctx):
    container = ContainerFactory(name="nginx-01")
    AuditLog.objects.all().delete()
    PortMappingFactory(container=container)
    assert entries() == []

    with extra_changes([(container, {"port_mappings": {"old": [], "new": ["22 → 10.0.0.7:20022"]}})]):
        container.save()
        [entry] = entries()
        container.save()  # the extra changes were consumed: nothing changed this time
    assert (entry.action, entry.resource_type, entry.resource_id) == ("update", "container", container.pk)
    assert entry.changes == {"port_mappings": {"old": [], "new": ["22 → 10.0.0.7:20022"]}}
    assert len(entries()) == 1


def test_extra_changes_match_the_instance_by_identity_and_end_with_the_block(request_ctx):
    container = ContainerFactory()
    same_row = Container.objects.get(pk=container.pk)  # equal (same pk), but another instance
    AuditLog.objects.all().delete()
    change = {"port_mappings": {"old": [], "new": ["80 → 10.0.0.1:20000"]}}
    with extra_changes([(container, change)]):
        same_row.save()
    container.save()
    assert entries() == []
    assert not any(key.startswith("_audit") for key in vars(container))


def test_unchanged_extra_changes_are_dropped(request_ctx):
    container = ContainerFactory()
    AuditLog.objects.all().delete()
    with extra_changes([(container, {"port_mappings": {"old": ["80 → 10.0.0.1:20000"], "new": ["80 → 10.0.0.1:20000"]}})]):
        container.save()
    assert entries() == []


def test_server_delete_writes_one_entry_with_snapshot(request_ctx):
    server = ServerFactory(name="web-01")
    container = ContainerFactory(server=server, name="nginx-01")
    PortMappingFactory(container=container)
    ServiceFactory(container=container, name="nginx-80")
    gpu = GPUFactory(server=server)
    GPUAssignmentFactory(gpu=gpu)
    AuditLog.objects.all().delete()

    server_id = server.pk
    server.delete()

    [entry] = entries()
    assert (entry.action, entry.resource_type, entry.resource_id, entry.resource_name) == (
        "delete", "server", server_id, "web-01")
    assert entry.changes == {}
    assert entry.snapshot["id"] == server_id
    assert entry.snapshot["name"] == "web-01"
    assert not Container.objects.exists() and not Service.objects.exists() and not GPU.objects.exists()
    assert not PortMapping.objects.exists()


def test_queryset_delete_writes_one_entry_per_root(request_ctx):
    servers = ServerFactory.create_batch(2)
    ContainerFactory(server=servers[0])
    AuditLog.objects.all().delete()
    with audit_action(Action.BATCH_DELETE):
        Server.objects.filter(pk__in=[s.pk for s in servers]).delete()
    assert sorted((e.action, e.resource_type, e.resource_id) for e in entries()) == sorted(
        ("batch_delete", "server", s.pk) for s in servers)


def test_container_delete_covers_its_services(request_ctx):
    container = ContainerFactory(name="app")
    ServiceFactory(container=container)
    AuditLog.objects.all().delete()
    container.delete()
    assert [(e.resource_type, e.action) for e in entries()] == [("container", "delete")]


def test_deleting_a_user_keeps_their_entries(request_ctx):
    user = UserFactory(username="dave")
    with use_context(ChangeContext(user=user, username="dave", request_id="req-dave")):
        dc = DatacenterFactory()
    user.delete()
    [entry] = entries(request_id="req-dave")
    assert (entry.user_id, entry.username, entry.resource_id) == (None, "dave", dc.pk)
    [deletion] = entries(resource_type="user", action="delete")
    assert deletion.resource_name == "dave" and deletion.snapshot["username"] == "dave"


def test_system_context_records_system_without_request(request_ctx):
    with system_context():
        EnvironmentFactory(code="dev")
    [entry] = entries(resource_type="environment")
    assert (entry.user_id, entry.username, entry.ip_address, entry.request_id) == (None, "system", None, None)
