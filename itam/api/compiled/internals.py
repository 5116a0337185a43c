"""The private Django and DRF attributes compiled reads rely on, in one place.

requirements.txt pins Django's and DRF's exact versions; when an upgrade changes one of
these, ``problems()`` (run by ``itam/tests/test_compiled_internals.py``) names it, instead
of a wrong answer somewhere in the API.
"""
from django.db.models import Prefetch
from rest_framework import serializers


def _compiled(queryset):
    compiler = queryset.query.get_compiler(queryset.db)
    compiler.as_sql()
    return compiler


def problems(queryset):
    """What changed, for a ``queryset`` with an annotation and a prefetch (empty: nothing)."""
    found = []

    def expect(ok, what):
        if not ok:
            found.append(what)

    values = queryset.values("pk", *queryset.query.annotations)
    query = values.query
    expect(isinstance(getattr(queryset, "_prefetch_related_lookups", None), tuple),
           "QuerySet._prefetch_related_lookups is no longer a tuple of lookups (render._prefetches)")
    expect(isinstance(getattr(query, "selected", None), dict),
           "Query.selected (the .values() column names in select order) is gone (statements.Statement)")
    for name in ("extra_select", "values_select", "annotation_select", "annotations", "is_sliced"):
        expect(hasattr(query, name), f"Query.{name} is gone (statements, render)")
    compiler = _compiled(values)
    expect(isinstance(getattr(compiler, "col_count", None), int), "SQLCompiler.col_count is gone (statements)")
    expect(isinstance(getattr(compiler, "has_extra_select", None), bool),
           "SQLCompiler.has_extra_select is gone (statements)")
    expect(isinstance(getattr(compiler, "select", None), list) and all(len(s) == 3 for s in compiler.select),
           "SQLCompiler.select is no longer a list of (expression, sql, alias) (statements)")
    try:
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        expect(isinstance(converters, dict) and all(len(v) == 2 for v in converters.values()),
               "SQLCompiler.get_converters no longer maps position -> (converters, expression) (statements)")
    except (AttributeError, TypeError) as exc:
        found.append(f"SQLCompiler.get_converters changed: {exc} (statements)")
    prefetch = Prefetch("x", to_attr="y")
    for name in ("prefetch_through", "prefetch_to", "queryset", "to_attr"):
        expect(hasattr(prefetch, name), f"Prefetch.{name} is gone (render._prefetches)")
    expect(isinstance(getattr(serializers.Serializer, "_declared_fields", None), dict),
           "DRF Serializer._declared_fields is gone (render.reads)")
    field = serializers.CharField(source="datacenter.name")
    field.bind("name", serializers.Serializer())
    expect(getattr(field, "source_attrs", None) == ["datacenter", "name"],
           "DRF Field.source_attrs no longer splits the source (render, serializers.fast_reader)")
    return found
