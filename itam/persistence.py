"""Saving and deleting model instances under the domain's rules, for services on every write path.

Uniqueness is a business-rule conflict (``itam.errors.Conflict`` naming the field, a 422 on
the API, a form error in the admin), checked case-insensitively from the model's own unique
constraints just before saving; a unique violation raised by a concurrent writer becomes the
same conflict. Deleting an object still referenced (``on_delete=PROTECT``/``RESTRICT``) is
a conflict naming what is left.
"""
from collections import Counter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, RestrictedError, UniqueConstraint

from .errors import Conflict


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
    violate, compared case-insensitively (constraints use ``Lower(...)`` where it matters)."""
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
    """The field a client must change: the value, not its scope (``index`` of (server, index))."""
    model_fields = [model._meta.get_field(name) for name in names]
    return next((f for f in model_fields if not f.is_relation), model_fields[0])


def _conflict_message(model, constraint, field):
    if constraint.violation_error_message != constraint.default_violation_error_message:
        return constraint.get_violation_error_message()
    return _generic_message(model, field)


def _generic_message(model, field):
    noun = model._meta.verbose_name
    # "an environment", but "a user": no model name here starts with a vowel-sounding "u".
    return f"{'An' if noun[:1].lower() in 'aeio' else 'A'} {noun} with this {field.verbose_name} already exists."
