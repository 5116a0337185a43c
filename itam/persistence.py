"""Saving and deleting model instances under the domain's rules, for services on every write path.

Uniqueness is a business-rule conflict (``itam.errors.Conflict`` naming the field, a 422 on
the API, a form error in the admin), checked case-insensitively from the model's own unique
constraints just before saving; a unique violation raised by a concurrent writer becomes the
same conflict. Deleting an object still referenced (``on_delete=PROTECT``/``RESTRICT``) is
a conflict naming what is left.
"""
from collections import Counter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import F, ProtectedError, RestrictedError, UniqueConstraint

from .errors import Conflict


def fold(text):
    """The case-insensitive comparison key of a text: ``str.casefold`` ("Straße" and
    "STRASSE", "ΟΔΟΣ" and "οδος" match), the same on every database."""
    return text.casefold() if isinstance(text, str) else text


class FoldedKeyField(models.CharField):
    """The ``fold`` of another text field of the model, for unique constraints that must
    compare names case-insensitively beyond ASCII: SQLite's ``lower()`` folds only ASCII and
    PostgreSQL's misses final sigma and ß. Its attribute is always the fold of the source's
    current value (whatever was assigned or loaded), so every write that reads the
    attributes, bulk inserts included, stores it. Not editable: no form or serializer shows it."""

    def __init__(self, source, **kwargs):
        self.source = source
        kwargs["editable"] = False
        super().__init__(**kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        setattr(cls, self.attname, _FoldedAttribute(self))


class FoldedKeysMixin:
    """For models with a ``FoldedKeyField``: a form that edits the source field validates the
    key's constraints too (Django skips constraints on fields the form does not show, and
    the key is never shown), so the admin answers a clash with a form error."""

    def validate_constraints(self, exclude=None):
        if exclude:
            keys = [f.attname for f in self._meta.concrete_fields if isinstance(f, FoldedKeyField)]
            exclude = set(exclude) - {
                key for key in keys if self._meta.get_field(key).source not in exclude}
        super().validate_constraints(exclude=exclude)


class _FoldedAttribute:
    """Reads as the fold of the source field. A value assigned (a default, a loaded row) is
    kept in ``__dict__`` only so that Django counts the field as loaded, never read."""

    def __init__(self, field):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.field.attname] = fold(getattr(instance, self.field.source))
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


def changes_anything(instance, values):
    """Whether setting ``values`` (field name -> value, related objects for relations) on
    ``instance`` would change a column. Relations compare by id, without loading them."""
    meta = instance._meta
    for name, value in values.items():
        field = meta.get_field(name)
        if field.is_relation and field.many_to_one:
            if getattr(instance, field.attname) != getattr(value, "pk", value):
                return True
        elif getattr(instance, name) != value:
            return True
    return False


def hold_referenced(obj):
    """Whether ``obj`` (a row a write is about to reference) still exists, holding it until
    the transaction ends. On PostgreSQL: ``FOR KEY SHARE``, the lock the foreign key check
    itself takes at the insert, but taken now, before the write decides anything. A
    concurrent delete of the row (which locks it ``FOR UPDATE`` first) then either waits for
    this write, and finds the new child, or has finished, and the row is gone: never a child
    written against a deleted parent (a 500 on the write's re-read or at commit). SQLite's
    write transactions exclude each other whole; outside a transaction there is nothing to
    hold."""
    using = router.db_for_write(type(obj))
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return True
    meta = obj._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s FOR KEY SHARE",
                       [obj.pk])
        return cursor.fetchone() is not None


def save_unique(instance):
    """Save after the uniqueness check; a concurrent duplicate (IntegrityError) gives the same 422."""
    ensure_unique(instance)
    try:
        with transaction.atomic():  # a savepoint, so the check below can still query after a failure
            instance.save()
    except IntegrityError:
        ensure_unique(instance)
        raise


def delete_unreferenced(instance):
    """Delete ``instance`` with what cascades from it (a server's containers, GPUs and their
    assignment history), unless objects that must not go with it still refer to it
    (``on_delete=PROTECT``: a datacenter's servers): then nothing is deleted and the
    ``Conflict`` names them."""
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(still_referenced_message(instance, exc)) from None


def still_referenced_message(instance, exc):
    """'This datacenter still has 3 servers; delete or move them first.'"""
    counts = Counter(type(obj)._meta for obj in getattr(exc, "protected_objects", None) or exc.restricted_objects)
    parts = [f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}" for meta, n in counts.items()]
    return f"This {instance._meta.verbose_name} still has {', '.join(parts)}; delete or move them first."


def ensure_unique(instance):
    errors = unique_conflicts(instance)
    if errors:
        raise Conflict(next(iter(errors.values()))[0], errors=errors)


def unique_conflicts(instance):
    """``{api_field: [message]}`` for each unique constraint or unique field ``instance`` would
    violate, compared case-insensitively (constraints use a ``FoldedKeyField`` for names that
    may hold any letter, ``Lower(...)`` for ASCII ones)."""
    model = type(instance)
    errors = {}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        try:
            constraint.validate(model, instance)
        except DjangoValidationError:
            field = _conflict_field(model, _constraint_fields(constraint))
            errors.setdefault(field.attname, []).append(_conflict_message(model, constraint, field))
    for field in model._meta.concrete_fields:
        if not field.unique or field.primary_key or field.attname in errors:
            continue
        value = getattr(instance, field.attname)
        lookup = f"{field.name}__iexact" if isinstance(value, str) else field.name
        if value is not None and model._default_manager.filter(**{lookup: value}).exclude(pk=instance.pk).exists():
            errors[field.attname] = [_generic_message(model, field)]
    return errors


def _constraint_fields(constraint):
    if constraint.fields:
        return list(constraint.fields)
    names = []

    def walk(expression):
        if isinstance(expression, F):
            names.append(expression.name)
        for source in getattr(expression, "get_source_expressions", lambda: [])():
            walk(source)

    for expression in constraint.expressions:
        walk(expression)
    return names


def _conflict_field(model, names):
    """The field a client must change: the value, not its scope (``index`` of (server, index));
    for a ``FoldedKeyField``, the field it folds."""
    model_fields = [model._meta.get_field(name) for name in names]
    field = next((f for f in model_fields if not f.is_relation), model_fields[0])
    return model._meta.get_field(field.source) if isinstance(field, FoldedKeyField) else field


def _conflict_message(model, constraint, field):
    if constraint.violation_error_message != constraint.default_violation_error_message:
        return constraint.get_violation_error_message()
    return _generic_message(model, field)


def _generic_message(model, field):
    noun = model._meta.verbose_name
    # "an environment", but "a user": no model name here starts with a vowel-sounding "u".
    return f"{'An' if noun[:1].lower() in 'aeio' else 'A'} {noun} with this {field.verbose_name} already exists."
