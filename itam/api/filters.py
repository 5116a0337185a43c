"""Shared filter plumbing (API.md §1.6), on django-filter.

- A parameter with an empty value is ignored (django-filter skips empty values).
- Bad values are a 400 with ``errors`` keyed by the parameter name (DjangoFilterBackend
  turns the form errors into a ValidationError): ids must be integers, enums one of their
  values, booleans true/false/1/0 (case-insensitive).
- ``keyword``: case-insensitive substring over the FilterSet's ``keyword_fields``.
- ``ordering``: comma-separated names from ``ordering_fields``, each optionally prefixed
  with ``-``; an unknown name is a 400; without it ``default_ordering`` applies; ``id`` is
  always appended in the direction of the first key, so pages never overlap.
"""
import copy

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from itam.api import fields


class StrictBooleanField(forms.Field):
    default_error_messages = {"invalid": "Enter true, false, 1 or 0."}
    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


BIGINT_MAX = 2**63 - 1


class AsciiIntegerField(forms.IntegerField):
    """Django's IntegerField without the non-ASCII digits int() would read ("٢٢")."""

    def to_python(self, value):
        if not fields.is_ascii_number_text(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An integer id (numeric string); anything else is a 400 on the parameter. So is a
    number beyond 64 bits: the database driver cannot even compare it (OverflowError)."""

    field_class = AsciiIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -BIGINT_MAX)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class OrderingField(forms.CharField):
    def __init__(self, *, allowed=(), **kwargs):
        self.allowed = tuple(allowed)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        keys = [part.strip() for part in text.split(",")]
        unknown = [key for key in keys if key.removeprefix("-") not in self.allowed]
        if unknown:
            # The names go in params: django-filter %-formats the message, and a client's
            # "%" in it would otherwise break the formatting (a 500).
            raise forms.ValidationError(
                "Unknown ordering field: %(unknown)s. Allowed: %(allowed)s (prefix '-' for descending).",
                code="invalid",
                params={"unknown": ", ".join(repr(k) for k in unknown), "allowed": ", ".join(self.allowed)},
            )
        return keys


@extend_schema_field(OpenApiTypes.STR)  # no model field behind it for the schema to inspect
class OrderingFilter(django_filters.Filter):
    """Its allowed names and default come from the FilterSet it belongs to."""

    field_class = OrderingField

    def filter(self, qs, value):
        return qs.order_by(*with_id_tiebreak(value or self.parent.default_ordering))


def with_id_tiebreak(keys):
    keys = list(keys)
    if keys and keys[-1].removeprefix("-") != "id" and "id" not in keys and "-id" not in keys:
        keys.append("-id" if keys[0].startswith("-") else "id")
    return keys or ["id"]


class FilterSet(django_filters.FilterSet):
    keyword_fields = ()
    ordering_fields = ("id",)
    default_ordering = ("id",)

    keyword = django_filters.CharFilter(method="filter_keyword", label="Case-insensitive substring search.")
    ordering = OrderingFilter(label="Comma-separated fields, '-' prefix for descending.")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's own __init__, but for the filters: it deep-copies every filter and
        # then rebuilds their form fields and the form class on each request (~10% of a
        # page's time). Filters are prepared once per class; a request gets shallow copies
        # that know their FilterSet, and the form class is built once per class.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: self._bound_copy(filter_) for name, filter_ in self._prepared_filters().items()}

    @classmethod
    def _prepared_filters(cls):
        """This class's filters, deep-copied from ``base_filters`` once (declared filters
        are shared between subclasses), with the model and the ordering names set."""
        if "_filters_once" not in cls.__dict__:
            filters = copy.deepcopy(cls.base_filters)
            for filter_ in filters.values():
                filter_.model = cls._meta.model
            if "ordering" in filters:
                filters["ordering"].extra["allowed"] = cls.ordering_fields
            cls._filters_once = filters
        return cls._filters_once

    def _bound_copy(self, filter_):
        bound = copy.copy(filter_)
        bound.parent = self
        if filter_.method is not None:
            bound.method = filter_.method  # rebinds the method to this copy (and so this FilterSet)
        return bound

    def get_form_class(self):
        cls = type(self)
        if "_form_class_once" not in cls.__dict__:
            cls._form_class_once = super().get_form_class()
        return cls._form_class_once

    def filter_keyword(self, queryset, name, value):
        query = Q()
        for field in self.keyword_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)
