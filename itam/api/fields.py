"""Serializer fields that implement the data-type rules of API.md §1.2 and §1.7.

- blank input ("" or whitespace only) means null for every nullable field;
- strings are trimmed; numbers may arrive as numeric strings, never as booleans;
- booleans in JSON bodies are JSON booleans (form fields also take true/false/1/0);
- datetimes render in UTC with second precision and an explicit offset;
- IP addresses are validated and IPv6 is normalised to compressed lower case.

``itam.api.serializers.ModelSerializer`` maps model fields onto these, so resources get
the rules without declaring anything.
"""
from datetime import timezone

from rest_framework import serializers
from rest_framework.fields import empty

from itam.net import normalize_ip
from itam.persistence import hold_referenced
from itam.text import CONTROL_CHARACTERS, CONTROL_CHARACTERS_MESSAGE, is_ascii_number_text

UTC = timezone.utc


class BlankAsNullMixin:
    """``""`` or whitespace-only input is ``None`` when the field is nullable."""

    def run_validation(self, data=empty):
        if self.allow_null and isinstance(data, str) and not data.strip():
            data = None
        return super().run_validation(data)


class CharField(BlankAsNullMixin, serializers.CharField):
    """Trimmed text (DRF trims by default); blank is null when nullable; no control characters
    (``itam.text``), checked before trimming so that none is dropped silently."""

    default_error_messages = {"control_characters": CONTROL_CHARACTERS_MESSAGE}

    def to_internal_value(self, data):
        if isinstance(data, str) and CONTROL_CHARACTERS.search(data):
            self.fail("control_characters")
        return super().to_internal_value(data)


class ChoiceField(BlankAsNullMixin, serializers.ChoiceField):
    """An enum value; surrounding whitespace is ignored, blank is null when nullable."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip() if isinstance(data, str) else data)


class CaseInsensitiveChoiceField(ChoiceField):
    """An enum whose input is matched case-insensitively (port mapping ``protocol``)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().lower() if isinstance(data, str) else data)


class NumberMixin(BlankAsNullMixin):
    """A number as JSON or as ASCII numeric text; non-ASCII digits are invalid."""

    def run_validation(self, data=empty):  # before a subclass's own parsing (preferences' rounding)
        self.refuse_non_ascii(data)
        return super().run_validation(data)

    def to_internal_value(self, data):  # also when used alone (a related field's pk_field)
        self.refuse_non_ascii(data)
        return super().to_internal_value(data)

    def refuse_non_ascii(self, data):
        if not is_ascii_number_text(data):
            self.fail("invalid")


class IntegerField(NumberMixin, serializers.IntegerField):
    """An integer; numeric strings ("16") accepted, booleans and fractions rejected."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class FloatField(NumberMixin, serializers.FloatField):
    """A finite number; numeric strings accepted, booleans rejected."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """A JSON boolean. Only form-encoded bodies (all strings) may spell it as text."""

    default_error_messages = {"invalid": "Must be a boolean (true or false)."}
    # DRF reads a key missing from a form body as an unchecked HTML checkbox (False); here it
    # is absent as in JSON, so the field's default applies (a form-created datacenter is active).
    default_empty_html = serializers.empty

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        request = self.context.get("request")
        if isinstance(data, str) and request is not None and not request.content_type.startswith("application/json"):
            return super().to_internal_value(data.strip().lower())
        self.fail("invalid")


class DateTimeField(BlankAsNullMixin, serializers.DateTimeField):
    """ISO 8601 in UTC with an explicit offset and second precision:
    ``2025-03-01T08:15:42+00:00``. Input takes an offset or ``Z``; naive means UTC."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_datetime(value)


def format_datetime(value):
    """The one datetime rendering of the API (also used by hand-built payloads)."""
    if value is None:
        return None
    if value.tzinfo is None:  # naive means UTC
        return value.isoformat(timespec="seconds") + "+00:00"
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")


class IPAddressField(BlankAsNullMixin, serializers.CharField):
    """IPv4 (dotted quad) or IPv6; IPv6 is stored and returned compressed lower-case."""

    default_error_messages = {"invalid": "Enter a valid IPv4 or IPv6 address."}

    def __init__(self, **kwargs):
        kwargs.pop("protocol", None)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "%" in data:  # zone ids ("fe80::1%eth0") are not addresses here
            self.fail("invalid")
        try:
            return normalize_ip(data)
        except ValueError:
            self.fail("invalid")


class RelatedIdField(serializers.PrimaryKeyRelatedField):
    """``<relation>_id`` input: an integer id (numeric strings accepted) of an existing
    object; an unknown id is a validation error on the field (API.md §1.4)."""

    default_error_messages = {
        "does_not_exist": "Object with id {pk_value} does not exist.",
        "incorrect_type": "Must be an integer id.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", IntegerField())
        super().__init__(**kwargs)
        model = getattr(self.queryset, "model", None)
        if model is not None:
            name = model._meta.verbose_name
            self.error_messages["does_not_exist"] = f"{name[0].upper()}{name[1:]} with id {{pk_value}} does not exist."

    def run_validation(self, data=empty):
        if isinstance(data, str) and not data.strip():
            data = None
        return super().run_validation(data)

    def to_internal_value(self, data):
        """The object, held for the rest of the write (``itam.persistence.hold_referenced``):
        one deleted meanwhile is the same 400 as one that never existed."""
        obj = super().to_internal_value(data)
        if not hold_referenced(obj):
            self.fail("does_not_exist", pk_value=obj.pk)
        return obj
