"""Input helpers of the domain endpoints: query parameters described by a DRF serializer
(an empty value counts as absent, API.md §1.6; a bad value is a 400 with ``errors`` keyed
by the parameter name) and the id field of request bodies."""
from itam.api import fields
from itam.api.filters import BIGINT_MAX as MAX_ID


def id_field(**kwargs):
    """An id in a body. Beyond 64 bits, either way, it is a validation error, never a
    database overflow (a 500); other ids that match nothing are the caller's to judge."""
    kwargs.setdefault("min_value", -MAX_ID)
    return fields.IntegerField(max_value=MAX_ID, **kwargs)


def query_params(request, serializer_class):
    """The validated parameters of ``request`` (absent ones omitted)."""
    given = {k: v for k, v in request.query_params.items() if str(v).strip() != ""}
    serializer = serializer_class(data=given)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
