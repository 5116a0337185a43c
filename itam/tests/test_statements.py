"""Compiled reads (itam.api.compiled.statements): a statement answers exactly what ``.values()``
does, with fresh data on every run, and fills its slots with each run's values."""
from datetime import timedelta, timezone as dt_timezone

import pytest
from django.db.models import F
from django.utils import timezone

from inventory.models import Container, Server
from itam.api.compiled.statements import SLOT_INT, SLOT_TEXT, Statement, StatementCache
from tests.factories import ContainerFactory, GPUFactory, ServerFactory

UTC = dt_timezone.utc


@pytest.fixture
def servers(db):
    made = [ServerFactory(name=name) for name in ("web-1", "web-2", "db-1")]
    ContainerFactory.create_batch(3, server=made[0])
    GPUFactory(server=made[1], index=0)
    Server.objects.filter(pk=made[2].pk).update(updated_at=timezone.now() - timedelta(days=3, microseconds=5))
    return made


def annotated_page():
    # Joins, count annotations, datetimes, and an ordering on an expression that is not selected.
    return (Server.objects.with_counts().order_by(F("cpu_cores") * 2, "-id")
            .values("pk", "name", "datacenter__name", "container_count", "gpu_count", "created_at", "updated_at")[:2])


def test_rows_equal_values(servers):
    statement = Statement(annotated_page())
    assert statement.rows() == list(annotated_page())
    assert all(row["updated_at"].tzinfo is not None for row in statement.rows())


def test_rows_are_read_fresh_on_every_run(servers):
    statement = Statement(annotated_page())
    first = statement.rows()
    ContainerFactory.create_batch(2, server=Server.objects.get(pk=first[0]["pk"]))
    Server.objects.filter(pk=first[0]["pk"]).update(name="renamed")
    again = statement.rows()
    assert (again[0]["name"], again[0]["container_count"]) == ("renamed", first[0]["container_count"] + 2)


def test_naive_utc_columns_keep_sqlite_values_naive_elsewhere_unchanged(servers):
    queryset = Server.objects.order_by("id").values("pk", "updated_at")
    aware = Statement(queryset).rows()
    naive = Statement(queryset, naive_utc=("updated_at",)).rows()
    for a, n in zip(aware, naive, strict=True):
        # SQLite hands back naive UTC values; PostgreSQL aware ones, unchanged either way.
        value = n["updated_at"] if n["updated_at"].tzinfo is not None else n["updated_at"].replace(tzinfo=UTC)
        assert value == a["updated_at"]


def test_slots_take_each_runs_values(servers):
    statement = Statement(Server.objects.filter(pk=SLOT_INT, name__startswith="web").values("name"),
                          slots={"server": SLOT_INT})
    assert statement.rows(server=servers[0].pk) == [{"name": "web-1"}]
    assert statement.rows(server=servers[1].pk) == [{"name": "web-2"}]
    assert statement.rows(server=servers[2].pk) == []  # db-1 fails the fixed condition


def test_a_slot_missing_from_the_parameters_is_an_error(db):
    with pytest.raises(ValueError, match="jti"):
        Statement(Server.objects.filter(pk=SLOT_INT).values("name"), slots={"pk": SLOT_INT, "jti": SLOT_TEXT})


def test_count_statement_counts_afresh(servers):
    statement, total = Statement.of_count(Container.objects.filter(server=servers[0]))
    assert total == statement.scalar() == 3
    ContainerFactory(server=servers[0])
    assert statement.scalar() == 4


def test_empty_querysets_need_no_query(servers, django_assert_num_queries):
    with django_assert_num_queries(1):  # the count Django skips; .none() is known empty
        statement, total = Statement.of_count(Server.objects.none())
        page = Statement(Server.objects.values("pk")[:0])
        assert Statement(Server.objects.values("pk")[:1]).rows() != []
    with django_assert_num_queries(0):
        assert (total, statement.scalar(), page.rows()) == (0, 0, [])


def test_cache_keeps_the_most_recently_used():
    cache = StatementCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)
