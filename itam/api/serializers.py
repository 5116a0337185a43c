"""The base ModelSerializer of every resource.

- Model fields map onto the fields of ``itam.api.fields`` (trimming, blank = null, numeric
  strings, strict booleans, UTC datetimes, normalised IPs), so resources declare nothing.
- Uniqueness is a business-rule conflict (422 with ``errors`` on the field, API.md §1.7),
  not a 400: the services check it just before saving (``itam.persistence.save_unique``).
- Serializers validate and represent; they never write. The viewset hands the validated
  data to its resource's service.
"""
from functools import cached_property

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.validators import UniqueValidator

from . import fields
from .compiled.conversions import IDENTITY, conversion


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

    def save(self, **kwargs):
        raise NotImplementedError("Serializers validate only; the resource's service writes.")


def written_fields(serializer_class):
    """``{API field name: model attribute}`` of the fields a client writes through
    ``serializer_class`` (a relation by its id column; nested lists left out)."""
    model = serializer_class.Meta.model
    return {
        name: model._meta.get_field(field.source).attname
        for name, field in serializer_class().fields.items()
        if not field.read_only and not isinstance(field, serializers.ListSerializer)
    }


def fast_reader(field):
    """A function instance -> representation equivalent to DRF's for ``field``."""
    def generic(instance):
        attribute = field.get_attribute(instance)
        pk = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if pk is None else field.to_representation(attribute)

    if field.source == "*":  # the field reads the whole instance, which is never None
        return field.to_representation
    attrs = field.source_attrs
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if type(field).to_representation is not serializers.PrimaryKeyRelatedField.to_representation:
            return generic
        attrs = [*attrs[:-1], f"{attrs[-1]}_id"]
        convert = None
    else:
        convert = conversion(field)  # the compiled layer's table: one list of known conversions
        if convert is None:
            return generic
        convert = None if convert is IDENTITY else convert

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
