"""Bulk writes that keep the audit trail: the rows, their django-simple-history records and
one AuditLog entry each, so a thousand rows cost a handful of queries, not a thousand. Used
by imports, seeding and batch operations; single saves need none of this (the history hooks
audit them).

The history records and audit entries are the bulk of an import's inserts (two of every
three rows), so they skip the model layer: ``insert_rows`` writes plain value tuples, by
COPY on PostgreSQL and in multi-row INSERTs as large as the backend allows elsewhere. They
hold exactly what simple-history's ``bulk_history_create`` and ``AuditLog`` saves would hold.
"""
import functools
import itertools
import json
import operator
import sqlite3
from contextlib import nullcontext

from django.conf import settings
from django.db import connections, router, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import prefetch_related_objects
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object, get_history_manager_for_model

from .choices import Action
from .events import Event, announce, listening
from .models import AuditLog
from .recorder import current_action, diff, merge_extra_changes, new_entry, take_extra_changes
from .registry import json_value, spec_for


def bulk_create_with_audit(model, objs, *, action=None, batch_size=1000):
    """Create ``objs`` (unsaved ``model`` instances) with their history and one audit entry each.

    Entries carry ``action`` (default: the ``audit_action`` in force, else ``create``), the
    current change context (user, IP, request id shared by the whole batch) and every
    audited field as ``{"old": None, "new": value}``, plus what ``recorder.extra_changes``
    gives for the object (a container's port mappings). Models without entries of their own (port mappings, GPU
    assignments) get history only. Returns the created objects with their ids.
    """
    objs = list(objs)
    if not objs:
        return []
    spec = spec_for(model)
    with transaction.atomic():
        created = _create(model, objs, batch_size)
        insert_history(model, created, "+")
        if spec is not None:
            _write_entries(spec, created, Action(action or current_action(Action.CREATE)), None, batch_size)
    return created


def bulk_update_with_audit(model, objs, fields, *, action=None, old_values=None, batch_size=1000):
    """Save ``fields`` of ``objs`` (already changed in memory) with history and audit entries.

    ``old_values`` is ``{pk: {api_field: old_value}}`` captured before the objects were
    changed; when omitted the current database values are read in one query first. Only
    objects whose audited values differ get an entry (``action`` as for creates, else
    ``update``), holding just the changed fields. ``updated_at`` is moved to now for every
    object. Returns the number of rows updated.
    """
    objs = list(objs)
    if not objs:
        return 0
    spec = spec_for(model)
    fields = list(fields)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields) and "updated_at" not in fields:
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        fields.append("updated_at")
    with transaction.atomic():
        if old_values is None and spec is not None:
            old_values = _current_values(spec, model, [obj.pk for obj in objs])
        updated = model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
        insert_history(model, objs, "~")
        if spec is not None:
            _write_entries(spec, objs, Action(action or current_action(Action.UPDATE)), old_values, batch_size)
    return updated


def _create(model, objs, batch_size):
    """Insert new ``objs`` and give them their ids, as ``bulk_create`` would, through
    ``insert_rows`` where the backend returns ids from a multi-row INSERT."""
    using = router.db_for_write(model)
    connection = connections[using]
    preset = sum(obj.pk is not None for obj in objs)  # ids reserved beforehand (all or none)
    if (not isinstance(model._meta.pk, AutoFieldMixin) or preset not in (0, len(objs))
            or (not preset and not connection.features.can_return_rows_from_bulk_insert)):
        return model._default_manager.bulk_create(objs, batch_size=batch_size)
    fields = [f for f in model._meta.concrete_fields if preset or not f.primary_key]
    take_parent_ids(model, objs)  # parents saved just before: copy their new ids into the foreign keys
    # What pre_save's auto_now(_add) would set, as one moment for the batch: one value to
    # prepare for the rows and their history records instead of one per row.
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    now = timezone.now()
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
    rows = [tuple(getattr(obj, field.attname) for field in fields) for obj in objs]
    pks = insert_rows(model, [f.attname for f in fields], rows, using=using, returning=not preset)
    for obj, pk in zip(objs, pks or [obj.pk for obj in objs]):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, using
    return objs


def take_parent_ids(model, objs):
    """What ``Model._prepare_related_fields_for_save`` does before ``bulk_create``: a foreign
    key whose parent was saved after it was assigned takes the parent's id, and a parent
    whose id no longer matches is dropped from the cache. Done a relation at a time, setting
    the id alone (the parent stays cached) rather than through the relation's descriptor
    and its routing checks for every object (~7 -> ~1 µs an object). An unsaved parent (an
    error) and any relation but a one-column foreign key go through Django's own method."""
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    if model._meta.private_fields or not all(f.many_to_one and len(f.related_fields) == 1 for f in relations):
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        return
    for field in relations:
        cache_name, attname, target = field.cache_name, field.attname, field.target_field.attname
        for obj in objs:
            parent = obj._state.fields_cache.get(cache_name)
            if not parent:
                continue
            if not parent._is_pk_set():
                obj._prepare_related_fields_for_save(operation_name="bulk_create")  # raises Django's error
            value = getattr(obj, attname)
            if value in field.empty_values:
                value = obj.__dict__[attname] = getattr(parent, target)
            if getattr(parent, target) != value:
                field.delete_cached_value(obj)


def _write_entries(spec, objs, action, old_values, batch_size):
    """One AuditLog row per object that changed, inserted together. ``old_values=None``: creates."""
    if spec.name_related:  # what the resource names read (a GPU's server), one query for all
        prefetch_related_objects(objs, *spec.name_related)
    # Made as they are written (no query may run meanwhile: the names' relations are loaded above).
    changed = ((obj, changes) for obj in objs
               if (changes := _changes(spec, obj, None if old_values is None else old_values.get(obj.pk, {}))))
    rows = _entry_rows(spec, changed, action)
    if not listening():
        insert_rows(AuditLog, AUDIT_COLUMNS, rows)
        return
    written = []
    insert_rows(AuditLog, AUDIT_COLUMNS, _kept(rows, written))
    announce(Event.from_rows(AUDIT_COLUMNS, written))


def _kept(rows, into):
    """``rows`` as they are made, each also appended to ``into`` (for ``announce``)."""
    for row in rows:
        into.append(row)
        yield row


def _current_values(spec, model, pks):
    api_names = {attr: api for api, attr in spec.fields.items()}
    rows = model._default_manager.filter(pk__in=pks).values("pk", *api_names)
    return {row.pop("pk"): {api_names[attr]: json_value(value) for attr, value in row.items()} for row in rows}


def _changes(spec, obj, old):
    """The entry's changes for one object; for updates only over the fields ``old`` knows."""
    new = spec.values_of(obj)
    if old is not None:
        new = {field: value for field, value in new.items() if field in old}
    return merge_extra_changes(diff(spec, old, new), take_extra_changes(obj), created=old is None)


AUDIT_COLUMNS = [f.attname for f in AuditLog._meta.concrete_fields if not f.primary_key]
# What differs between the entries of one batch; the rest (the change context's user, IP,
# request id, the action, the resource type) is the same for all of them.
_PER_OBJECT = {name: AUDIT_COLUMNS.index(name) for name in ("resource_id", "resource_name", "changes")}


def _entry_rows(spec, changed, action):
    """AuditLog value tuples for ``(obj, changes)`` pairs, made one by one: the first
    entry, built by ``new_entry``, gives the columns they share; each row then sets its own
    (no model instance per row)."""
    shared = None
    for obj, changes in changed:
        if shared is None:
            first = new_entry(spec, obj, action)
            first.created_at = timezone.now()  # what auto_now_add would set on save, one moment for the batch
            shared = [getattr(first, name) for name in AUDIT_COLUMNS]
        row = shared.copy()
        row[_PER_OBJECT["resource_id"]] = obj.pk
        row[_PER_OBJECT["resource_name"]] = spec.name_of(obj)
        row[_PER_OBJECT["changes"]] = changes
        yield tuple(row)


def insert_history(model, objs, history_type):
    """The simple-history records of ``objs`` (``+`` created, ``~`` updated), as
    ``bulk_history_create`` writes them: each object's ``_history_user`` /
    ``_history_date`` / ``_change_reason`` when set, else the context's user and now."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    manager = get_history_manager_for_model(model)
    history = manager.model
    tracked = [f.attname for f in history.tracked_fields]
    now = timezone.now()

    def rows():  # made as they are written
        for obj in objs:
            user = obj._history_user if hasattr(obj, "_history_user") else history.get_default_history_user(obj)
            yield (
                *[getattr(obj, name) for name in tracked],
                getattr(obj, "_history_date", now), get_change_reason_from_object(obj), history_type,
                getattr(user, "pk", None),
            )
    insert_rows(history, [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"], rows())


# Values these field types accept as they are on every backend (what get_db_prep_save returns).
_AS_IS = {
    "CharField": str, "TextField": str, "SlugField": str, "EmailField": str, "FloatField": float,
    "IntegerField": int, "BigIntegerField": int, "SmallIntegerField": int, "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int, "PositiveBigIntegerField": int, "AutoField": int,
    "BigAutoField": int, "BooleanField": bool,
}


def insert_rows(model, attnames, rows, using=None, returning=False):
    """INSERT ``rows`` (tuples of Python values in ``attnames`` order, any iterable) into
    ``model``'s table, each value prepared as Django's ``bulk_create`` would. ``returning``:
    the new primary keys, in row order (``rows`` must then be a list).

    PostgreSQL (psycopg 3) takes them by COPY, made and sent a chunk at a time while the
    server stores the previous ones; a generator's rows are made as they are written, so no
    query may run while it makes them. Other backends: multi-row INSERTs as large as their
    parameter limit allows."""
    using = using or router.db_for_write(model)
    connection = connections[using]
    rows = list(rows) if returning else _non_empty(rows)
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in attnames]
    if _can_copy(fields, connection):
        return _copy_rows(model, fields, rows, connection, returning)
    return _insert_values(model, fields, list(rows), connection, returning)


def _non_empty(rows):
    """``rows`` as an iterator, or None when it has no row (a generator is not run ahead)."""
    rows = iter(rows)
    first = next(rows, None)
    return None if first is None else itertools.chain((first,), rows)


def _insert_values(model, fields, rows, connection, returning):
    pks = []
    prepare = [_column_preparer(field, connection) for field in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    per_statement = max(1, min(5000, _max_params(connection) // len(fields)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start:start + per_statement]
            columns = [prep(column) for prep, column in zip(prepare, zip(*batch))]
            params = [value for row in zip(*columns) for value in row]
            cursor.execute(head + "VALUES " + ", ".join([one] * len(batch)) + tail, params)
            if returning:
                pks += [row[0] for row in cursor.fetchall()]
    return pks


# Rows made and prepared at a time for COPY: large enough to prepare a column in one call,
# small enough that the server stores one chunk while the next is made.
COPY_CHUNK = 1000


def _can_copy(fields, connection):
    if connection.vendor != "postgresql" or any(hasattr(f, "get_placeholder") for f in fields):
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _copy_rows(model, fields, rows, connection, returning):
    """COPY ``rows`` in, in text format (psycopg's C code writes the rows). ``returning``:
    the ids are taken from the table's sequence first, as the INSERT would take them, and
    written with the rows. The data streams out as it is written, so the server stores one
    chunk while the next is made (a second thread sending it measured no faster)."""
    quote = connection.ops.quote_name
    columns = [f.column for f in fields]
    with connection.cursor() as cursor:
        as_text = _copy_text_writer(cursor.cursor)
        prepare = [_column_preparer(field, connection, as_text=as_text) for field in fields]
        pks = _new_ids(cursor, model, len(rows)) if returning else None
        if returning:
            columns.insert(0, model._meta.pk.column)
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"

        def copy(sql, params, many, context):
            connection.validate_no_broken_transaction()
            with connection.wrap_database_errors, connection.execute_wrapper(_no_query_while_copying):
                with cursor.cursor.copy(sql) as copying:
                    write_row, done = copying.write_row, 0
                    for chunk in _chunks(rows, COPY_CHUNK):
                        values = [prep(column) for prep, column in zip(prepare, zip(*chunk))]
                        if returning:
                            values.insert(0, pks[done:done + len(chunk)])
                            done += len(chunk)
                        for row in zip(*values):
                            write_row(row)
        _execute_as_statement(cursor, sql, copy)
    return pks or []


def _copy_text_writer(psycopg_cursor):
    """A function giving a value's text in COPY's text format, as psycopg would write it
    (with the connection's adapters): for a batch's one timestamp, written once as text
    rather than formatted again on every row."""
    from psycopg.adapt import PyFormat, Transformer

    transformer = Transformer(psycopg_cursor)

    def as_text(value):
        if value is None or type(value) is str:
            return value
        return bytes(transformer.get_dumper(value, PyFormat.TEXT).dump(value)).decode()
    return as_text


def _new_ids(cursor, model, count):
    """``count`` new primary keys from the table's sequence, in order (the sequence looked up
    once per statement, not per id)."""
    cursor.execute(
        "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) FROM generate_series(1, %s)",
        [cursor.db.ops.quote_name(model._meta.db_table), model._meta.pk.column, count])
    return [row[0] for row in cursor.fetchall()]


def reserve_ids(model, objs):
    """Give the unsaved ``objs`` the next ids of ``model``'s table, in order, before they are
    written (for rows whose other columns depend on their id). Run it inside the writing
    transaction: on SQLite that transaction holds every other writer off."""
    objs = [obj for obj in objs if obj.pk is None]
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = _new_ids(cursor, model, len(objs))
        else:
            quote, table = connection.ops.quote_name, model._meta.db_table
            cursor.execute(f"SELECT COALESCE(MAX({quote(model._meta.pk.column)}), 0) FROM {quote(table)}")
            last = cursor.fetchone()[0]
            if connection.vendor == "sqlite":  # AUTOINCREMENT never reuses an id, even a deleted one's
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                last = max(last, row[0] if row else 0)
            ids = range(last + 1, last + 1 + len(objs))
    for obj, pk in zip(objs, ids):
        obj.pk = pk


def _execute_as_statement(cursor, sql, executor):
    """Run ``executor`` as ``cursor.execute(sql)`` runs a statement: through the connection's
    execute wrappers and, when queries are recorded (debug, tests), into the query log."""
    context = {"connection": cursor.db, "cursor": cursor}
    for wrapper in reversed(cursor.db.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    with cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext():
        executor(sql, None, False, context)


def _no_query_while_copying(execute, sql, params, many, context):
    # The COPY holds the connection: a query made by the code making the rows would wait
    # for it for ever.
    raise RuntimeError(f"No query can run while rows are copied in; load what the rows need first: {sql[:80]}")


def _chunks(rows, size):
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _column_preparer(field, connection, as_text=None):
    """A function preparing one column's values for the database; plain values of the
    field's own type pass through, repeated values (one timestamp) are prepared once.
    ``as_text`` (COPY): a column holding one value for all rows gets that value's text, and
    a JSON value becomes its JSON text (what psycopg would send for the ``Jsonb`` a save
    passes), so psycopg's C code writes them as strings."""
    plain = _AS_IS.get((field.target_field if field.is_relation else field).get_internal_type())
    prep_save = field.get_db_prep_save
    if as_text is not None and field.get_internal_type() == "JSONField":
        # json.dumps with the field's encoder, as a save sends it; the values are fresh
        # acyclic data, so no cycle check (a quarter of the encoding time of nested changes).
        encoder = (field.encoder or json.JSONEncoder)(check_circular=False)

        def prep_save(value, connection):
            return encoder.encode(field.get_prep_value(value))
    last = [object(), None]

    def prepare_one(value):
        if value is None or type(value) is plain:
            return value
        if value is not last[0]:
            last[0], last[1] = value, prep_save(value, connection)
        return last[1]

    def prepare(column):
        first = column[0]
        if all(map(operator.is_, column, itertools.repeat(first))):  # one value for all (a batch's timestamp)
            value = prepare_one(first)
            return [value if as_text is None else as_text(value)] * len(column)
        return [value if value is None or type(value) is plain else prepare_one(value) for value in column]
    return prepare


def _max_params(connection):
    """Bind parameters one statement may carry: SQLite's compiled limit (32,766 since 3.32;
    Django assumes the old 999), else the backend's own or PostgreSQL's 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535

