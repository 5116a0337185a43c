"""Bulk writes keep the audit trail with a constant number of queries."""
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.bulk import AUDIT_COLUMNS, COPY_CHUNK, bulk_create_with_audit, bulk_update_with_audit, insert_rows
from audit.context import ChangeContext, use_context
from audit.models import AuditLog
from inventory.models import GPU, Server
from tests.factories import DatacenterFactory, EnvironmentFactory, GPUFactory, ServerFactory

pytestmark = pytest.mark.django_db

# PostgreSQL takes new rows' ids from their sequence in one query, then copies the rows in.
NEW_IDS = 1 if connection.vendor == "postgresql" else 0


@pytest.fixture
def batch_ctx(admin_user):
    with use_context(ChangeContext(user=admin_user, username="admin", ip_address="10.1.1.1", request_id="batch-7")):
        yield


def test_bulk_create_writes_one_entry_per_object_in_constant_queries(batch_ctx, admin_user, django_assert_num_queries):
    dc, env = DatacenterFactory(), EnvironmentFactory()
    AuditLog.objects.all().delete()
    servers = [Server(name=f"bulk-{i}", datacenter=dc, environment=env, internal_ip=f"10.9.0.{i + 1}") for i in range(30)]

    # bulk insert servers, bulk insert history, bulk insert audit rows (plus savepoint pair)
    with django_assert_num_queries(5 + NEW_IDS):
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
    with django_assert_num_queries(6 + NEW_IDS):  # + one query for the server names
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


def _entry_rows(count, **columns):
    """AuditLog value tuples (``AUDIT_COLUMNS`` order) for ``count`` entries: column
    ``name`` holds ``columns[name](i)`` in row ``i``, the others a fixed valid value."""
    fixed = dict.fromkeys(AUDIT_COLUMNS)
    fixed.update(action="import", resource_type="server", username="admin", changes={}, snapshot={},
                 created_at=timezone.now())
    return [tuple(columns[c](i) if c in columns else fixed[c] for c in AUDIT_COLUMNS) for i in range(count)]


def test_json_values_of_many_rows_read_back_in_order(batch_ctx):
    """More rows than one chunk of the PostgreSQL COPY; awkward JSON text survives the trip."""
    awkward = [{"name": {"old": None, "new": f'n-{i} "quoted" \\ back\ttab\nline, {{brace}} 数据 \\N'},
                "list": [i, None, "x"]} for i in range(COPY_CHUNK * 2 + 100)] + [{}, {"nested": {"deep": [{"k": "v"}]}}]
    insert_rows(AuditLog, AUDIT_COLUMNS, _entry_rows(len(awkward), resource_id=lambda i: i, changes=awkward.__getitem__))
    stored = list(AuditLog.objects.filter(resource_type="server").order_by("id").values_list("resource_id", "changes"))
    assert stored == list(enumerate(awkward))


def test_text_that_looks_like_copy_syntax_is_stored_as_given(batch_ctx):
    """COPY's text format has its own NULL marker, end marker and escapes; values are never read as them."""
    names = ["\\N", "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "", None, "\\.", "end\\"]
    insert_rows(AuditLog, AUDIT_COLUMNS, _entry_rows(len(names), resource_id=lambda i: i, resource_name=names.__getitem__))
    stored = AuditLog.objects.filter(resource_type="server").order_by("resource_id")
    assert list(stored.values_list("resource_name", flat=True)) == names


def test_a_none_in_a_json_column_is_sql_null(batch_ctx):
    """What a single save does with None in a JSONField: SQL NULL (which the NOT NULL
    ``changes`` column refuses), not the JSON null (which it would take)."""
    values = [{"a": '"q" \\ ,{}'}, [True], [1], "text", 0, None]
    rows = _entry_rows(len(values), resource_id=lambda i: i, changes=values.__getitem__)
    with pytest.raises(IntegrityError, match="changes"), transaction.atomic():
        insert_rows(AuditLog, AUDIT_COLUMNS, rows)
    insert_rows(AuditLog, AUDIT_COLUMNS, rows[:-1])
    stored = AuditLog.objects.filter(resource_type="server").order_by("resource_id").values_list("changes", flat=True)
    assert [(type(v), v) for v in stored] == [(type(v), v) for v in values[:-1]]


def test_new_ids_come_in_row_order_and_leave_the_sequence_ahead(batch_ctx):
    dc, env = DatacenterFactory(), EnvironmentFactory()
    created = bulk_create_with_audit(Server, [
        Server(name=f"seq-{i}", datacenter=dc, environment=env, internal_ip=f"10.7.0.{i + 1}") for i in range(5)])
    ids = [s.pk for s in created]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert dict(Server.objects.filter(pk__in=ids).values_list("pk", "name")) == {s.pk: s.name for s in created}
    later = ServerFactory()  # an ordinary save takes the next id: no collision
    assert later.pk > ids[-1]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL copies rows in")
def test_a_query_while_rows_are_copied_in_is_refused_not_left_waiting(batch_ctx):
    """A generator's rows are made while the COPY holds the connection: a query from there
    would wait for ever, so it fails at once and the COPY is abandoned."""
    [row] = _entry_rows(1, resource_id=lambda i: i)

    def rows():
        yield row
        Server.objects.count()
        yield row

    with pytest.raises(RuntimeError, match="No query can run while rows are copied in"), transaction.atomic():
        insert_rows(AuditLog, AUDIT_COLUMNS, rows())
    assert not AuditLog.objects.filter(resource_type="server").exists()


def test_parent_ids_are_taken_as_django_takes_them(admin_user, other_user):
    """``take_parent_ids`` leaves every object as ``_prepare_related_fields_for_save`` does:
    ids of parents saved after assignment taken, a parent whose id no longer matches dropped
    from the cache, a cleared relation left alone, an unsaved parent refused."""
    from audit.bulk import take_parent_ids
    from inventory.models import Container

    def containers():
        late = Server(name="late", datacenter=DatacenterFactory(), environment=EnvironmentFactory(),
                      internal_ip="10.6.0.1")
        saved = ServerFactory()
        objs = [Container(name="a", server=late, owner=admin_user, assigned_user=None),
                Container(name="b", server=saved, owner=admin_user, assigned_user=other_user),
                Container(name="c", server=saved, owner=admin_user)]
        late.save()  # after the assignment: "a" has no server_id yet
        objs[2].owner_id = other_user.pk  # no longer the cached owner
        return objs

    def state(objs):
        return [(c.server_id, c.owner_id, c.assigned_user_id,
                 [f.name for f in Container._meta.concrete_fields if f.is_relation and f.is_cached(c)]) for c in objs]

    by_django, ours = containers(), containers()
    for obj in by_django:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    take_parent_ids(Container, ours)
    assert [s[1:] for s in state(ours)] == [s[1:] for s in state(by_django)]
    assert ours[0].server_id == ours[0].server.pk and by_django[0].server_id == by_django[0].server.pk
    assert state(ours)[2][3] == ["server"]  # the owner no longer matching the id: dropped, as Django drops it

    unsaved = Container(name="d", server=Server(name="never"), owner=admin_user)
    with pytest.raises(ValueError, match="unsaved related object 'server'"):
        take_parent_ids(Container, [unsaved])
