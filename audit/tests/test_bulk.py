"""Bulk writes keep the audit trail with a constant number of queries."""
import json

import pytest
from django.utils import timezone

from audit.bulk import bulk_create_with_audit, bulk_update_with_audit
from audit.context import ChangeContext, use_context
from audit.models import AuditLog
from inventory.models import GPU, Server
from tests.factories import DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch_ctx(admin_user):
    with use_context(ChangeContext(user=admin_user, username="admin", ip_address="10.1.1.1", request_id="batch-7")):
        yield


def test_bulk_create_writes_one_entry_per_object_in_constant_queries(batch_ctx, admin_user, django_assert_num_queries):
    dc, env = DatacenterFactory(), EnvironmentFactory()
    AuditLog.objects.all().delete()
    servers = [Server(name=f"bulk-{i}", datacenter=dc, environment=env, internal_ip=f"10.9.0.{i + 1}") for i in range(30)]

    # bulk insert servers, bulk insert history, bulk insert audit rows (plus savepoint pair)
    with django_assert_num_queries(5):
        created = bulk_create_with_audit(Server, servers, action="import")

    entries = list(AuditLog.objects.order_by("resource_id"))
    assert [e.resource_id for e in entries] == [s.pk for s in created]
    first = entries[0]
    assert (first.action, first.resource_type, first.resource_name, first.user_id, first.request_id) == (
        "import", "server", "bulk-0", admin_user.pk, "batch-7")
    assert first.changes["name"] == {"old": None, "new": "bulk-0"}
    assert first.changes["datacenter_id"] == {"old": None, "new": dc.pk}
    assert first.changes["ssh_user"] == {"old": None, "new": "root"}
    assert Server.history.filter(history_type="+").count() == 30


def test_bulk_create_gpus_names_them_after_their_server(batch_ctx, django_assert_num_queries):
    server = ServerFactory(name="gpu-01")
    gpus = [GPU(server_id=server.pk, model="L4", memory_gb=24, index=i) for i in range(3)]
    with django_assert_num_queries(6):  # + one query for the server names
        bulk_create_with_audit(GPU, gpus)
    assert sorted(AuditLog.objects.filter(resource_type="gpu").values_list("resource_name", flat=True)) == [
        "L4 on gpu-01"] * 3


def test_bulk_update_audits_changed_objects_only(batch_ctx, django_assert_num_queries):
    servers = ServerFactory.create_batch(3, status="online")
    AuditLog.objects.all().delete()
    servers[0].status = "maintenance"
    servers[1].status = "maintenance"

    # read old values, bulk update, history insert, audit insert (plus savepoint pair)
    with django_assert_num_queries(6):
        updated = bulk_update_with_audit(Server, servers, ["status"], action="batch_update")

    assert updated == 3
    entries = list(AuditLog.objects.order_by("resource_id"))
    assert [(e.resource_id, e.action, e.changes) for e in entries] == [
        (s.pk, "batch_update", {"status": {"old": "online", "new": "maintenance"}}) for s in servers[:2]
    ]
    assert Server.objects.filter(status="maintenance").count() == 2


def test_bulk_update_with_given_old_values_skips_the_read(batch_ctx, django_assert_num_queries):
    gpu = GPUFactory(sort_order=0)
    AuditLog.objects.all().delete()
    gpu.sort_order = 5
    with django_assert_num_queries(5):
        bulk_update_with_audit(GPU, [gpu], ["sort_order"], old_values={gpu.pk: {"sort_order": 0}})
    [entry] = AuditLog.objects.all()
    assert (entry.action, entry.changes) == ("update", {"sort_order": {"old": 0, "new": 5}})


def test_bulk_action_defaults_to_the_audit_action_in_force(batch_ctx):
    from audit.recorder import audit_action

    dc = DatacenterFactory()
    AuditLog.objects.all().delete()
    dc.location = "Hall 7"
    with audit_action("import"):
        bulk_update_with_audit(type(dc), [dc], ["location"])
    assert list(AuditLog.objects.values_list("action", "changes")) == [
        ("import", {"location": {"old": "Building A", "new": "Hall 7"}})]


def test_port_mappings_get_history_but_no_entries(batch_ctx):
    from inventory.models import PortMapping
    from tests.factories import ContainerFactory

    container = ContainerFactory()
    AuditLog.objects.all().delete()
    [mapping] = bulk_create_with_audit(PortMapping, [PortMapping(container=container, container_port=22, internal_port=2222)])
    mapping.internal_port = 2223
    bulk_update_with_audit(PortMapping, [mapping], ["internal_port"])
    assert not AuditLog.objects.exists()
    assert PortMapping.history.filter(id=mapping.pk).count() == 2


def test_empty_batches_cost_nothing(batch_ctx, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_create_with_audit(Server, []) == []
        assert bulk_update_with_audit(Server, [], ["status"]) == 0


def test_bulk_rows_history_and_entries_hold_what_model_saves_would(batch_ctx, admin_user, other_user):
    """The raw inserts: ids come back in order, stamps and history match the rows, each
    object's own ``_history_user`` wins over the context's, JSON and IPs read back intact."""
    dc, env = DatacenterFactory(), EnvironmentFactory()
    servers = [Server(name=f"raw-{i}", datacenter=dc, environment=env, internal_ip=f"10.8.0.{i + 1}") for i in range(3)]
    servers[1]._history_user = other_user
    created = bulk_create_with_audit(Server, servers, action="import")

    stored = {s.pk: s for s in Server.objects.filter(name__startswith="raw-")}
    assert [stored[s.pk].name for s in created] == ["raw-0", "raw-1", "raw-2"]
    assert stored[created[0].pk].internal_ip == "10.8.0.1"
    assert stored[created[0].pk].created_at == created[0].created_at == created[0].updated_at
    history = {h.id: h for h in Server.history.filter(id__in=stored)}
    assert [history[s.pk].history_user_id for s in created] == [admin_user.pk, other_user.pk, admin_user.pk]
    first = history[created[0].pk]
    assert (first.history_type, first.name, first.datacenter_id, first.created_at, first.history_change_reason) == (
        "+", "raw-0", dc.pk, created[0].created_at, None)
    entry = AuditLog.objects.get(resource_type="server", resource_id=created[2].pk)
    assert (entry.username, entry.ip_address, entry.changes["internal_ip"], entry.snapshot) == (
        "admin", "10.1.1.1", {"old": None, "new": "10.8.0.3"}, {})
    assert entry.created_at is not None


def test_json_values_of_many_rows_read_back_in_order(batch_ctx):
    """On PostgreSQL a JSON column goes as one document per batch, unpacked in row order."""
    from audit.bulk import AUDIT_COLUMNS, insert_rows

    awkward = [{"name": {"old": None, "new": f'n-{i} "quoted" \\ back, {{brace}} 数据'}, "list": [i, None, "x"]}
               for i in range(300)] + [{}, {"nested": {"deep": [{"k": "v"}]}}]
    template = dict(zip(AUDIT_COLUMNS, [None] * len(AUDIT_COLUMNS)))
    template.update(action="import", resource_type="server", username="admin", snapshot={}, created_at=timezone.now())
    rows = [tuple({**template, "resource_id": i, "changes": changes}[c] for c in AUDIT_COLUMNS)
            for i, changes in enumerate(awkward)]
    insert_rows(AuditLog, AUDIT_COLUMNS, rows)
    stored = list(AuditLog.objects.filter(resource_type="server").order_by("id").values_list("resource_id", "changes"))
    assert stored == list(enumerate(awkward))


def test_a_none_in_a_json_document_is_sql_null(db):
    """What a single save does with None in a JSONField: SQL NULL, not the JSON null."""
    from django.db import connection

    from audit.bulk import _unnest_array

    if connection.vendor != "postgresql":
        pytest.skip("the JSON document path is PostgreSQL's")
    field = AuditLog._meta.get_field("changes")
    values = [{"a": '"q" \\ ,{}'}, None, [1, "x"], "text", 0]
    sql, param = _unnest_array(field, "jsonb", None, values, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value IS NULL, value FROM UNNEST({sql}) WITH ORDINALITY AS t(value, n) ORDER BY n",
                       [param])
        rows = cursor.fetchall()
    assert [is_null for is_null, _ in rows] == [False, True, False, False, False]
    assert [json.loads(v) if isinstance(v, str) else v for _, v in rows] == values
