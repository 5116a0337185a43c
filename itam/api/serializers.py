"""The base ModelSerializer of every resource.

- Model fields map onto the fields of ``itam.api.fields`` (trimming, blank = null, numeric
  strings, strict booleans, UTC datetimes, normalised IPs), so resources declare nothing.
- Uniqueness is a business-rule conflict (422 with ``errors`` on the field, API.md §1.7),
  not a 400: it is checked case-insensitively from the model's own unique constraints just
  before saving, and a unique violation raised by a concurrent writer becomes the same 422.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, UniqueConstraint
from functools import cached_property

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.validators import UniqueValidator

from . import fields
from .exceptions import Conflict


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: fields.CharField,
        models.TextField: fields.CharField,
        models.GenericIPAddressField: fields.IPAddressField,
        models.DateTimeField: fields.DateTimeField,
        models.IntegerField: fields.IntegerField,
        models.BigIntegerField: fields.IntegerField,
        models.SmallIntegerField: fields.IntegerField,
        models.PositiveIntegerField: fields.IntegerField,
        models.PositiveSmallIntegerField: fields.IntegerField,
        models.PositiveBigIntegerField: fields.IntegerField,
        models.FloatField: fields.FloatField,
        models.BooleanField: fields.BooleanField,
    }
    serializer_choice_field = fields.ChoiceField
    serializer_related_field = fields.RelatedIdField

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "allow_blank" in kwargs:
            kwargs["allow_blank"] = False  # blank input is null (nullable) or an error (required)
        if "validators" in kwargs:
            kwargs["validators"] = [v for v in kwargs["validators"] if not isinstance(v, UniqueValidator)]
        return field_class, kwargs

    # Uniqueness is checked at save time as a 422 (see ensure_unique), not as a 400.
    def get_unique_together_validators(self):
        return []

    def get_uniqueness_extra_kwargs(self, field_names, declared_fields, extra_kwargs):
        return extra_kwargs, {}

    def to_representation(self, instance):
        try:
            return {name: read(instance) for name, read in self._read_plan}
        except SkipField:  # a field with nothing to show is left out, as DRF does
            return super().to_representation(instance)

    @cached_property
    def _read_plan(self):
        """(name, reader) per readable field, computed once per serializer (a ``many=True`` list
        reuses its child). Plain columns and dotted names are read directly: DRF's generic
        get_attribute/to_representation round trip per field dominates a page of 100 rows."""
        return [(field.field_name, fast_reader(field)) for field in self._readable_fields]

    def create(self, validated_data):
        instance = self.Meta.model(**validated_data)
        save_unique(instance)
        return instance

    def update(self, instance, validated_data):
        """Apply and save; a body that changes nothing saves nothing (clients send back the
        whole object they received, and ``updated_at`` should not move for that)."""
        if not changes_anything(instance, validated_data):
            return instance
        for name, value in validated_data.items():
            setattr(instance, name, value)
        save_unique(instance)
        return instance


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


# Field classes whose representation of a database value is the value itself (or float()).
PASS_THROUGH = (
    serializers.CharField, serializers.IntegerField, serializers.ChoiceField, serializers.BooleanField,
    serializers.ReadOnlyField,
)


def fast_reader(field):
    """A function instance -> representation equivalent to DRF's for ``field``."""
    def generic(instance):
        attribute = field.get_attribute(instance)
        pk = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if pk is None else field.to_representation(attribute)

    if field.source == "*":  # the field reads the whole instance, which is never None
        return field.to_representation
    if type(field).to_representation is not _representation_of(field):
        return generic
    attrs = field.source_attrs
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        attrs = [*attrs[:-1], f"{attrs[-1]}_id"]
        convert = None
    elif isinstance(field, fields.DateTimeField):
        convert = fields.format_datetime
    elif isinstance(field, serializers.FloatField):
        convert = float
    elif isinstance(field, PASS_THROUGH):
        convert = None
    else:
        return generic

    def read(instance):
        value = instance
        try:
            for attr in attrs:
                value = getattr(value, attr)
                if value is None:
                    return None
        except AttributeError:  # DRF's rules for a missing attribute: default, null or left out
            return generic(instance)
        if callable(value):
            value = value()
        return convert(value) if convert is not None and value is not None else value

    return read


def _representation_of(field):
    """The to_representation of the nearest class this module knows how to read fast (a
    subclass overriding it again must go the generic way)."""
    for known in (serializers.PrimaryKeyRelatedField, fields.DateTimeField, serializers.FloatField, *PASS_THROUGH):
        if isinstance(field, known):
            return known.to_representation
    return None


class WholeListSerializer(serializers.ListSerializer):
    """A nested list that is written as a whole (a container's port mappings): each item is
    validated as a complete new object, also inside a partial update, and a value that is not
    a list is an error on the field itself."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            message = self.error_messages["not_a_list"].format(input_type=type(data).__name__)
            raise serializers.ValidationError([message], code="not_a_list")
        items = [type(self.child)(data=item, context=self.context) for item in data]
        errors = [{} if item.is_valid() else item.errors for item in items]
        if any(errors):
            raise serializers.ValidationError(errors)
        return [item.validated_data for item in items]


def save_unique(instance):
    """Save after the uniqueness check; a concurrent duplicate (IntegrityError) gives the same 422."""
    ensure_unique(instance)
    try:
        with transaction.atomic():  # a savepoint, so the check below can still query after a failure
            instance.save()
    except IntegrityError:
        ensure_unique(instance)
        raise


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
