"""The one table of how DRF's ``to_representation`` treats a value read from the column a
field maps, shared by the compiled renderer and ``ModelSerializer.to_representation``."""
from rest_framework import serializers
from rest_framework.settings import api_settings

from ..fields import DateTimeField as UTCDateTimeField, format_datetime

IDENTITY = object()  # the value is returned unchanged: no call at all

# str of a str, int of an int, a bool that is a bool, an enum value that passed its check
# constraint: the database value is already the representation.
_TABLE = {
    serializers.CharField.to_representation: IDENTITY,
    serializers.IntegerField.to_representation: IDENTITY,
    serializers.ChoiceField.to_representation: IDENTITY,
    serializers.BooleanField.to_representation: IDENTITY,
    serializers.ReadOnlyField.to_representation: IDENTITY,
    serializers.FloatField.to_representation: float,  # what it calls, without the method
    UTCDateTimeField.to_representation: format_datetime,  # what it calls: one call less per value
}


def conversion(field):
    """``IDENTITY``, a cheaper function doing exactly what ``field.to_representation`` does
    to a non-null value of its column, or None when this table does not know the field's
    own conversion (a subclass overriding it, a decimal, ...): call the field's own."""
    method = type(field).to_representation
    if method is serializers.BigIntegerField.to_representation:
        return None if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else IDENTITY
    return _TABLE.get(method)
