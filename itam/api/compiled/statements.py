"""Compiled reads: a read query's SQL built once per process, then run as often as needed.

Building and compiling an annotated queryset costs more than running it on SQLite (a page
of 100 servers: ~0.3 ms to compile, ~0.7 ms for Django's per-value converters, ~0.6 ms
for SQLite to answer; a user fetch with its token-blacklist check: ~0.6 ms of ORM for a
20 µs query). A ``Statement`` keeps what the ORM's compiler produced for a ``.values()``
queryset (SQL, parameters, column names, value converters) and runs it on a plain cursor
of the current thread's connection, so the rows are exactly those ``.values()`` yields,
always read fresh from the database.

- ``Statement(values_queryset, slots={"user_id": SLOT_INT})``: parameters given as slot
  sentinels are filled in at each run (``statement.rows(user_id=7)``), so one statement
  serves every value (the authentication query);
- ``naive_utc=(names)``: datetime columns a caller reads as UTC when naive (the API's
  rendering does) keep SQLite's naive values, saving a ``replace`` per value;
- ``Statement.of_count(queryset)``: the ``COUNT`` Django runs for ``queryset.count()``,
  recorded by running it once;
- ``StatementCache``: a bounded, thread-safe LRU for statements built from a request's
  parameters (``itam.api.compiled.views``).
"""
import threading
from collections import OrderedDict
from datetime import datetime, timezone

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models

# Sentinel parameter values that mark where a slot's value goes; no real query uses them.
SLOT_INT = -7_301_966_398_000_000_001
SLOT_TEXT = "\x00itam-statement-slot"


def _aware_utc(value, expression, connection):
    """Django's SQLite datetime converter, minus its generic steps: sqlite3 has parsed a
    datetime column (stored in UTC) already; it only needs its time zone. Anything else
    (a NULL, text from an expression) goes to Django's own converter."""
    if value.__class__ is datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return connection.ops.convert_datetimefield_value(value, expression, connection)


def _row_maker(names, converters, width):
    """One generated function turning a database row into the ``.values()`` dict, so a row
    costs one call (the converters inlined) instead of a loop over its columns."""
    env, items = {}, []
    by_position = {position: (convs, expression) for position, convs, expression in converters}
    for position, name in enumerate(names[:width] if width is not None else names):
        value = f"raw[{position}]"
        convs, expression = by_position.get(position, ((), None))
        env[f"e{position}"] = expression
        for n, convert in enumerate(convs):
            env[f"c{position}_{n}"] = convert
            value = f"c{position}_{n}({value}, e{position}, connection)"
        items.append(f"{name!r}: {value}")
    source = "def make_row(raw, connection):\n    return {" + ", ".join(items) + "}"
    exec(compile(source, "<statement row>", "exec"), env)  # noqa: S102 - column names only
    return env["make_row"]


def _is_naive_utc(connection, expression, converters):
    """Whether the only converter of this column makes SQLite's UTC datetimes aware."""
    return (
        connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC"
        and isinstance(getattr(expression, "output_field", None), models.DateTimeField) and len(converters) == 1
    )


class Statement:
    def __init__(self, values_queryset, slots=None, naive_utc=()):
        query = values_queryset.query
        self.alias = values_queryset.db
        connection = connections[self.alias]
        # The column names in select order, as ValuesIterable reads them.
        if getattr(query, "selected", None):
            self.names = list(query.selected)
        else:
            self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        compiler = query.get_compiler(self.alias)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:
            self.sql, params = None, ()
        self.params = list(params)
        self.slots = {}
        for name, sentinel in (slots or {}).items():
            positions = [i for i, p in enumerate(self.params) if type(p) is type(sentinel) and p == sentinel]
            if not positions:
                raise ValueError(f"slot {name!r} is not among the statement's parameters")
            self.slots[name] = positions
        width = compiler.col_count if compiler.has_extra_select else None
        converters = []
        if self.sql is not None:
            expressions = [s[0] for s in compiler.select[: compiler.col_count]]
            for position, (convs, expression) in compiler.get_converters(expressions).items():
                if _is_naive_utc(connection, expression, convs):
                    if self.names[position] in naive_utc:
                        continue  # the caller reads the naive value as UTC
                    convs = [_aware_utc]
                converters.append((position, convs, expression))
        self.make_row = _row_maker(self.names, converters, width)

    @classmethod
    def of_count(cls, queryset):
        """The statement ``queryset.count()`` runs (recorded from one run), and the count."""
        recorded = []

        def record(execute, sql, params, many, context):
            recorded.append((sql, params))
            return execute(sql, params, many, context)

        connection = connections[queryset.db]
        with connection.execute_wrapper(record):
            total = queryset.count()
        statement = cls.__new__(cls)
        statement.alias, statement.names, statement.slots = queryset.db, ["n"], {}
        statement.make_row = _row_maker(statement.names, [], None)
        if len(recorded) == 1:
            statement.sql, statement.params = recorded[0][0], list(recorded[0][1] or ())
        else:  # Django answered without a query (an empty queryset)
            statement.sql, statement.params = None, []
        return statement, total

    def _execute(self, values):
        params = self.params
        if values:
            params = list(params)
            for name, value in values.items():
                for position in self.slots[name]:
                    params[position] = value
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall(), connection

    def rows(self, **values):
        """The rows as dicts (column name -> converted value), as ``.values()`` gives them."""
        if self.sql is None:
            return []
        fetched, connection = self._execute(values)
        make_row = self.make_row
        return [make_row(raw, connection) for raw in fetched]

    def scalar(self, **values):
        if self.sql is None:
            return 0
        fetched, _ = self._execute(values)
        return fetched[0][0]


class StatementCache:
    """A bounded least-recently-used map, safe to share between a process's threads."""

    def __init__(self, size=256):
        self.size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self):
        return len(self._entries)
