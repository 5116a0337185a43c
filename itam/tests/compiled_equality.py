"""What the discovered equality test walks (``test_compiled_equality``): every compiled
answer of the API, found from the URL router, and fleets with every field set or null.

``differences(clients)`` sends every request twice, compiled and with ``COMPILED_READS``
off (plain DRF), and returns what differs, plus every serializer the compiled layer had to
leave to DRF (``FALLBACKS``): a newcomer's field that compiled reads cannot give shows up
here by name, whichever resource it was added to.
"""
import inspect
import json
from datetime import date, timedelta

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, models, transaction
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework import serializers

from itam.api import compiled
from itam.api.compiled import entry, render, views

PROJECT_APPS = ("accounts", "inventory", "audit", "itam")
# Query variants sent to every compiled view that is not a viewset (the tree, the search):
# unknown parameters are ignored by each, so every view gets all of them.
VIEW_QUERIES = [{}, *({"expand_level": n} for n in (1, 2, 3)),
                *({"keyword": k} for k in ("1", "10.0", "2001:db8", "80", "web", "a", "nginx"))]
LIST_QUERIES = [{"page_size": 100}, {}]
DETAILS = 4  # the first and the last rows of each model (every row has every field set, or null)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def _path(route, pk=None):
    path = "/" + route.replace("^", "").replace("/?$", "").replace("$", "")
    return path.replace("(?P<pk>[0-9]+)", str(pk)) if pk is not None else path


def compiled_routes():
    """``(kind, path or path template, view class)``: the list and detail routes of every
    viewset that opts into compiled reads, and every other GET route (a view, or a viewset's
    extra action) whose module renders through the compiled entry point (tree, search)."""
    found = []
    for route, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if cls is None or "[\\s\\S]" in route:
            continue
        actions = getattr(callback, "actions", None) or {}
        action = actions.get("get")
        if action in ("list", "retrieve"):
            if issubclass(cls, compiled.CompiledReadMixin) and cls.compiled_reads:
                found.append((action, route, cls))
        elif action is not None:  # a viewset's extra action (the tree)
            if _uses_entry_point(getattr(cls, action)):
                found.append(("view", route, cls))
        elif hasattr(cls, "get") and _uses_entry_point(cls):
            found.append(("view", route, cls))
    return found


def _uses_entry_point(view):
    module = inspect.getmodule(view)
    return any(getattr(module, name, None) in (compiled.render_many, compiled.read) for name in dir(module))


def project_models():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS and model._meta.managed and not hasattr(model, "history_id") \
                and not model._meta.model_name.startswith("historical"):
            yield model


def project_model_serializers():
    """Every ModelSerializer subclass defined by the project that names a model."""
    seen, todo = [], [serializers.ModelSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            meta = getattr(sub, "Meta", None)
            if sub.__module__.split(".")[0] in PROJECT_APPS and getattr(meta, "model", None) and sub not in seen:
                seen.append(sub)
    return seen


def queryset_for(serializer_class):
    """The queryset a compiled viewset reads with ``serializer_class`` (its counts and
    prefetches), else its model's rows with its nested lists prefetched."""
    for _, _, cls in compiled_routes():
        for attr, queryset in (("serializer_class", "queryset"), ("detail_serializer_class", "detail_queryset")):
            if getattr(cls, attr, None) is serializer_class and getattr(cls, queryset, None) is not None:
                return getattr(cls, queryset).order_by("pk")
    nested = [name for name, field in serializer_class().fields.items() if hasattr(field, "child")]
    return serializer_class.Meta.model._default_manager.order_by("pk").prefetch_related(*nested)


# --- fleets ----------------------------------------------------------------------------

def _bound(field, kind):
    limits = [v.limit_value for v in field.validators if isinstance(v, kind)]
    return limits[0] if limits else None


def value_for(field, pk):
    """A value the database accepts for ``field`` of the row ``pk`` (distinct per row)."""
    if field.choices:
        return field.choices[-1][0]
    if isinstance(field, models.GenericIPAddressField):
        return f"10.{200 + pk % 50}.{pk // 250 % 250}.{pk % 250 + 1}" if pk % 2 else f"2001:db8::{pk:x}"
    if isinstance(field, models.EmailField):
        return f"filled{pk}@example.com"
    if isinstance(field, (models.CharField, models.TextField)):
        return f"filled-{pk}"[: field.max_length or 100]
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, (models.IntegerField, models.FloatField, models.DecimalField)):
        low, high = _bound(field, MinValueValidator), _bound(field, MaxValueValidator)
        value = (low if low is not None else 1) + (0.5 if isinstance(field, models.FloatField) else 0)
        return min(value, high) if high is not None else value
    if isinstance(field, models.DateTimeField):
        return timezone.now() + timedelta(days=1)
    if isinstance(field, models.DateField):
        return date.today()
    if isinstance(field, models.JSONField):
        return {"filled": pk}
    if isinstance(field, models.ForeignKey):
        return field.related_model._default_manager.order_by("pk").first()
    return None


def _try_update(queryset, **values):
    try:
        with transaction.atomic():
            queryset.update(**values)
    except (DatabaseError, ValueError, TypeError):
        pass  # a check constraint ties this column to another one: it keeps its value


def _optional_fields(model):
    return [f for f in model._meta.concrete_fields if f.null and f.editable and not f.primary_key]


def fill_every_field():
    """Every optional column of every row that is null gets a value."""
    for model in project_models():
        for field in _optional_fields(model):
            for pk in model._default_manager.filter(**{f"{field.name}__isnull": True}).values_list("pk", flat=True):
                value = value_for(field, pk)
                if value is not None:
                    _try_update(model._default_manager.filter(pk=pk), **{field.name: value})


def null_every_optional_field():
    for model in project_models():
        for field in _optional_fields(model):
            _try_update(model._default_manager.all(), **{field.name: None})


# --- comparing -------------------------------------------------------------------------

def reset():
    """Forget every compiled plan, renderer and fallback (fields may have changed)."""
    render.renderer_for.cache_clear()
    render._row_class.cache_clear()
    entry.FALLBACKS.clear()
    views.LIST_PLANS = views.StatementCache(size=views.LIST_PLANS.size)
    views.DETAIL_PLANS = views.StatementCache(size=views.DETAIL_PLANS.size)
    views.FILTER_VALUES = views.StatementCache(size=views.FILTER_VALUES.size)


def _requests(route_kind, route, cls):
    if route_kind == "list":
        return [(_path(route), query) for query in LIST_QUERIES]
    if route_kind == "retrieve":
        model = cls(action="retrieve", kwargs={}).get_queryset().model
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        return [(_path(route, pk), {}) for pk in dict.fromkeys(pks[:DETAILS] + pks[-DETAILS:])]
    return [(_path(route), query) for query in VIEW_QUERIES]


def differences(clients, settings):
    """What compiled answers and plain DRF answers differ in, and every fallback."""
    found, compared = [], 0
    for route_kind, route, cls in compiled_routes():
        for path, query in _requests(route_kind, route, cls):
            for who, client in clients.items():
                settings.COMPILED_READS = True
                fast = client.get(path, query)
                settings.COMPILED_READS = False
                drf = client.get(path, query)
                settings.COMPILED_READS = True
                compared += 1
                if (fast.status_code, fast.content) != (drf.status_code, drf.content):
                    found.append(f"{who} GET {path} {query}: {first_difference(fast, drf)}")
    found += [f"{cls.__name__} falls back to plain DRF: {why}" for cls, why in entry.FALLBACKS.items()]
    return found, compared


def first_difference(fast, drf):
    if fast.status_code != drf.status_code:
        return f"status {fast.status_code} compiled, {drf.status_code} DRF"
    return _diff(json.loads(fast.content), json.loads(drf.content), "")


def _diff(a, b, where):
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{where or 'body'}: keys {sorted(set(a) ^ set(b)) or 'in another order'} differ"
        for key in a:
            if (d := _diff(a[key], b[key], f"{where}.{key}")) is not None:
                return d
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items compiled, {len(b)} DRF"
        for n, (x, y) in enumerate(zip(a, b)):
            if (d := _diff(x, y, f"{where}[{n}]")) is not None:
                return d
    elif json.dumps(a) != json.dumps(b):
        return f"{where}: {a!r} compiled, {b!r} DRF"
    return None if where else "bytes differ (number formatting, key order)"
