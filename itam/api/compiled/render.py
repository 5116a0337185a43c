"""Render a queryset with a serializer's exact output, without model instances.

The tree renders the whole fleet (tens of thousands of objects); building a model instance
per row and walking DRF's per-field machinery costs ~10x the time of fetching the rows.
``renderer_for(SerializerClass)`` compiles the serializer's own field list once into a plan:

- a field whose source is a model column, possibly across foreign keys
  (``datacenter.name``), is read from a ``.values()`` row and converted as that field's
  ``to_representation`` would (``conversions``);
- a related-id field (``datacenter_id``) reads the foreign key column;
- anything else (a model property such as ``ssh_command``, a ``source="*"`` field such as a
  count or the GPU's open assignment) runs the field's own ``get_attribute`` and
  ``to_representation`` on a light row object that carries the row's values and borrows
  the model's properties and methods; what such a field reads beyond the row's own columns
  is declared on the field (``reads(field, "container__server__internal_ip")``);
- a nested ``many=True`` serializer is filled from the queryset's own ``Prefetch`` of that
  relation, rendered by that serializer's plan; other prefetches become attributes of the
  row objects (``open_assignments``), as ``prefetch_related`` would set them.

The plan becomes one generated function per serializer. Whatever it cannot express raises
``NotCompiled`` naming the field (a nested single object, a ``many=True`` field without a
matching prefetch, a property reading an attribute the row does not carry); the entry
points (``itam.api.compiled``) then answer with plain DRF instead.
"""
import inspect
from functools import cache
from types import SimpleNamespace

from django.db.models import Prefetch
from rest_framework import relations, serializers
from rest_framework.fields import SkipField

from ..fields import DateTimeField as UTCDateTimeField
from .conversions import IDENTITY, conversion
from .statements import Statement


class NotCompiled(Exception):
    """The compiled layer cannot give this serializer's output; plain DRF must."""


class MissingReadInput(NotCompiled):
    """A row object was asked for an attribute it does not carry (a related object a property
    reads). Not an AttributeError, so that DRF cannot mistake it for a field to skip."""


def reads(field, *paths):
    """Declare the ``__`` paths (``"datacenter__name"``) a read-only field's source reads
    beyond its model's own columns; they reach it as nested attributes
    (``self.datacenter.name``). Returns the field, for use in a serializer's body."""
    field.read_inputs = paths
    return field


def _read_inputs(serializer_class, name):
    # DRF deep-copies declared fields by re-running their constructor, which drops extra
    # attributes; the class keeps the declared instances.
    return getattr(serializer_class._declared_fields.get(name), "read_inputs", ())


def _column_path(model, attrs):
    """``(values path, ends on a relation)`` for a source naming a model column (following
    forward foreign keys, ``datacenter.name``), else None (a property, a method, ``*``)."""
    path = []
    for position, attr in enumerate(attrs):
        field = next((f for f in model._meta.concrete_fields if attr in (f.name, f.attname)), None)
        if field is None:
            return None
        last = position == len(attrs) - 1
        if field.is_relation and attr == field.name and not last:
            path.append(field.name)
            model = field.related_model
            continue
        if not last:
            return None
        return "__".join([*path, field.attname]), field.is_relation and attr == field.name
    return None


def _converter(field, is_relation):
    """What DRF applies to a non-null attribute (None: nothing): a related-id field shows the
    pk (through its ``pk_field`` when it has one); any other field its ``to_representation``."""
    if is_relation:
        pk_field = getattr(field, "pk_field", None)
        return pk_field.to_representation if pk_field is not None else None
    convert = conversion(field)
    return None if convert is IDENTITY else convert or field.to_representation


@cache
def _row_class(model):
    """A plain class borrowing the model's properties and methods (not those named like a
    column, nor ``pk``), so that row objects answer them from their own values."""
    reserved = {"pk"} | {n for f in model._meta.concrete_fields for n in (f.name, f.attname)}
    borrowed = {}
    for klass in reversed(model.__mro__):
        for name, value in vars(klass).items():
            if name in reserved or name.startswith("__"):
                continue
            if isinstance(value, property) or callable(value):
                borrowed[name] = value

    def __getattr__(self, name):  # names the row does not carry (or a property's AttributeError)
        if name.startswith("__") or name in borrowed:
            raise AttributeError(name)
        late = inspect.getattr_static(model, name, None)  # set on the model after this class was made
        if isinstance(late, property):
            return late.fget(self)
        if callable(late):
            return late.__get__(self)
        raise MissingReadInput(f"{model.__name__}.{name} is not among the columns a row carries")

    return type(f"{model.__name__}Row", (), {**borrowed, "__getattr__": __getattr__})


def _row_object(model, row):
    obj = _row_class(model)()
    obj.__dict__ = row
    return obj


def _nest(row, path):
    """Expose ``row["a__b__c"]`` as ``row.a.b.c`` on the row object."""
    *parents, leaf = path.split("__")
    node = row
    for name in parents:
        node = vars(node.setdefault(name, SimpleNamespace()))
    node[leaf] = row[path]


def _group(rows, key):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _prefetches(queryset):
    for lookup in queryset._prefetch_related_lookups:
        prefetch = lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)
        if "__" in prefetch.prefetch_through:
            raise NotCompiled(f"nested prefetch {prefetch.prefetch_through!r} is not supported")
        yield prefetch


MAX_ID_LIST = 500  # well below SQLite's oldest limit of 999 parameters per statement


def _children_of(model, queryset, rows, prefetch):
    """The reverse relation's rows for the objects of ``queryset``, in the prefetch
    queryset's order, and the name of their foreign key column. A few parents (a page, a
    detail) are matched by their ids, cheaper to build and run than the parents' query
    nested again; a whole fleet, or a compiled plan (``rows`` None: no ids yet), by subquery."""
    relation = model._meta.get_field(prefetch.prefetch_through)
    children = prefetch.queryset if prefetch.queryset is not None else relation.related_model._default_manager.all()
    if rows is not None and (queryset.query.is_sliced or len(rows) <= MAX_ID_LIST):
        parents = [row["pk"] for row in rows]
    else:  # a sliced query keeps its order: it decides which rows the slice holds
        parents = (queryset if queryset.query.is_sliced else queryset.order_by()).values("pk")
    return children.filter(**{f"{relation.field.name}__in": parents}), relation.field.attname


_SKIP = object()


def _computed(field, obj):
    """DRF's own steps for one field of one object: get_attribute, then to_representation
    unless null; a field DRF would skip is marked ``_SKIP``."""
    try:
        value = field.get_attribute(obj)
    except SkipField:
        return _SKIP
    return None if value is None else field.to_representation(value)


def _property(fget, field, convert, obj):
    """A model property's value for a field whose source is that property: what DRF's
    get_attribute and to_representation give, without their generic lookup; anything
    unusual (the property raises, returns a callable) goes through DRF's own steps."""
    try:
        value = fget(obj)
    except (KeyError, AttributeError):
        return _computed(field, obj)
    if value is None or convert is None:
        return value
    return _computed(field, obj) if callable(value) else convert(value)


def _model_property(model, field):
    attrs = field.source_attrs
    prop = getattr(model, attrs[0], None) if len(attrs) == 1 else None
    return prop.fget if isinstance(prop, property) else None


def _own_values(queryset):
    """``queryset`` as ``.values()`` of all its model's own columns (what a row object reads)."""
    return queryset.prefetch_related(None).values(*[f.attname for f in queryset.model._meta.concrete_fields])


def _fetch_objects(queryset):
    """Row objects (all own columns, borrowed properties) of ``queryset``, one query."""
    return [_row_object(queryset.model, row) for row in _own_values(queryset)]


class Renderer:
    """The compiled plan of one serializer class (see the module docstring)."""

    def __init__(self, serializer_class):
        serializer = serializer_class()
        self.model = serializer.Meta.model
        self.columns, self.nested, self.plan = [], {}, []
        self.utc_datetime_columns = []  # rendered by format_datetime, which reads naive values as UTC
        self.read_inputs = []  # "__" paths computed fields read beyond the row's own columns
        self.name = serializer_class.__name__
        has_computed = False
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if isinstance(field, serializers.ListSerializer):
                self.nested[field.source] = type(field.child)
                self.plan.append((name, "nested", field.source, None))
                continue
            column = _column_path(self.model, field.source_attrs) if field.source != "*" else None
            if column is None:
                has_computed = True
                self.read_inputs += _read_inputs(serializer_class, name)
                self.plan.append((name, "computed", field, None))
            else:
                path, is_relation = column
                if is_relation and not isinstance(field, relations.PrimaryKeyRelatedField):
                    raise NotCompiled(f"{self.name}.{name}: only ids of related objects are supported")
                self.columns.append(path)
                self.plan.append((name, "column", path, _converter(field, is_relation)))
                if isinstance(field, UTCDateTimeField):
                    self.utc_datetime_columns.append(path)
        self.read_inputs = list(dict.fromkeys(self.read_inputs))
        # Properties read the model's own columns.
        self.own_columns = [f.attname for f in self.model._meta.concrete_fields] if has_computed else []
        self.render = self._compile()  # row dict -> the serializer's output for that object

    def values_of(self, queryset, extra=()):
        """The ``.values()`` queryset of the rows this plan reads from ``queryset``."""
        names = ["pk", *self.columns, *self.own_columns, *queryset.query.annotations, *self.read_inputs, *extra]
        return queryset.prefetch_related(None).values(*dict.fromkeys(names))

    def fetch(self, queryset, extra=(), rows=None):
        """Row dicts of ``queryset`` (one query; or ``rows``, already read from its
        ``values_of``) with its prefetched relations attached (one query each)."""
        if rows is None:
            rows = list(self.values_of(queryset, extra))
        self._nest_inputs(rows)
        for prefetch in self.prefetches(queryset):
            children, fk = _children_of(self.model, queryset, rows, prefetch)
            if prefetch.prefetch_to in self.nested:
                child = renderer_for(self.nested[prefetch.prefetch_to])
                self._attach_nested(rows, prefetch.prefetch_to, child, child.fetch(children, extra=(fk,)), fk)
            else:
                self._attach_objects(rows, prefetch.to_attr or prefetch.prefetch_to, _fetch_objects(children), fk)
        return rows

    def prefetches(self, queryset):
        """The prefetches of ``queryset``; every nested list must be one of them."""
        prefetches = list(_prefetches(queryset))
        for source in set(self.nested) - {p.prefetch_to for p in prefetches}:
            raise NotCompiled(f"{self.name}.{source}: a nested list needs a Prefetch('{source}') on the queryset")
        return prefetches

    def _nest_inputs(self, rows):
        if self.read_inputs:
            for row in rows:
                for path in self.read_inputs:
                    _nest(row, path)

    @staticmethod
    def _attach_nested(rows, name, child, child_rows, fk):
        groups = _group(child_rows, fk)
        for row in rows:
            row[name] = child.render_rows(groups.get(row["pk"], ()))

    @staticmethod
    def _attach_objects(rows, name, objects, fk):
        groups = {}
        for obj in objects:
            groups.setdefault(getattr(obj, fk), []).append(obj)
        for row in rows:
            row[name] = groups.get(row["pk"], [])

    def _compile(self):
        """The plan as one generated function that builds a dict literal, so a row costs
        one call instead of a dispatch per field (tens of thousands of rows per tree)."""
        env = {"SKIP": _SKIP, "computed": _computed, "prop": _property, "Row": _row_class(self.model)}
        items, may_skip = [], []
        for i, (name, kind, key, convert) in enumerate(self.plan):
            if kind == "computed" and key.source == "*":  # DRF passes the whole object, never None
                env[f"f{i}"] = key.to_representation
                items.append(f"{name!r}: f{i}(obj)")
            elif kind == "computed" and (fget := _model_property(self.model, key)) is not None:
                # A property's value is of no declared type: identity is only for columns.
                convert = conversion(key)
                convert = key.to_representation if convert in (None, IDENTITY) else convert
                env.update({f"p{i}": fget, f"f{i}": key, f"c{i}": convert})
                items.append(f"{name!r}: (v{i} := prop(p{i}, f{i}, c{i}, obj))")
                may_skip.append(f"v{i}")
            elif kind == "computed":
                env[f"f{i}"] = key
                items.append(f"{name!r}: (v{i} := computed(f{i}, obj))")
                may_skip.append(f"v{i}")
            elif kind == "column" and convert is not None:
                env[f"c{i}"] = convert
                items.append(f"{name!r}: None if (v := row[{key!r}]) is None else c{i}(v)")
            else:
                items.append(f"{name!r}: row[{key!r}]")
        lines = ["def render(row):"]
        if any(kind == "computed" for _, kind, _, _ in self.plan):
            lines += ["    obj = Row()",
                      "    obj.__dict__ = row",
                      "    out = {" + ", ".join(items) + "}"]
            if may_skip:  # only these can be DRF's skipped fields
                skipped = " or ".join(f"{v} is SKIP" for v in may_skip)
                lines += [f"    if {skipped}:",
                          "        return {k: v for k, v in out.items() if v is not SKIP}"]
            lines += ["    return out"]
        else:
            lines += ["    return {" + ", ".join(items) + "}"]
        exec(compile("\n".join(lines), f"<render {self.model.__name__}>", "exec"), env)  # noqa: S102 - field names only
        return env["render"]

    def row_object(self, row):
        """``row`` as an object answering the model's columns and properties."""
        return _row_object(self.model, row)

    def render_rows(self, rows):
        render = self.render
        try:
            return [render(row) for row in rows]
        except MissingReadInput as exc:
            raise NotCompiled(self._culprit(rows) or str(exc)) from exc

    def _culprit(self, rows):
        """Which computed field of which serializer asked a row for what it does not carry."""
        for row in rows:
            obj = self.row_object(row)
            for name, kind, field, _ in self.plan:
                try:
                    if kind == "computed":
                        _computed(field, obj)
                except MissingReadInput as exc:
                    return (f"{self.name}.{name}: {exc}; declare what it reads on the field, "
                            f"reads(field, 'relation__column', ...)")
        return None

    def render_many(self, queryset):
        return self.render_rows(self.fetch(queryset))


@cache
def renderer_for(serializer_class):
    return Renderer(serializer_class)


class ReadPlan:
    """What ``Renderer.fetch`` does for one queryset, compiled once (``statements``)
    and run as often as needed with fresh data: the statement of the rows, and one child plan
    per prefetched relation, whose children are matched by a subquery on the parents' query
    so that every statement is fixed. ``slots`` name sentinel parameters (the object's id of
    a detail) filled in at each run, in the parents' query and every subquery alike."""

    def __init__(self, renderer, queryset, extra=(), slots=None, naive_utc=False):
        self.renderer = renderer
        naive = renderer.utc_datetime_columns if naive_utc else ()
        self.statement = Statement(renderer.values_of(queryset, extra), slots=slots, naive_utc=naive)
        self.children = []
        for prefetch in renderer.prefetches(queryset):
            children, fk = _children_of(renderer.model, queryset, None, prefetch)
            if prefetch.prefetch_to in renderer.nested:
                child = renderer_for(renderer.nested[prefetch.prefetch_to])
                self.children.append((prefetch.prefetch_to, fk, ReadPlan(child, children, (fk,), slots, naive_utc)))
            else:
                objects = Statement(_own_values(children), slots=slots)
                self.children.append((prefetch.to_attr or prefetch.prefetch_to, fk, (children.model, objects)))

    def rows(self, **values):
        """Row dicts with their relations attached, as ``Renderer.fetch`` gives them."""
        renderer = self.renderer
        rows = self.statement.rows(**values)
        renderer._nest_inputs(rows)
        for name, fk, child in self.children:
            if not rows:  # nothing to attach children to: no query
                break
            if isinstance(child, ReadPlan):
                renderer._attach_nested(rows, name, child.renderer, child.rows(**values), fk)
            else:
                model, objects = child
                renderer._attach_objects(rows, name, [_row_object(model, row) for row in objects.rows(**values)], fk)
        return rows
