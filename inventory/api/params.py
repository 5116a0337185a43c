"""Input helpers of the domain endpoints: query parameters described by a DRF serializer
(an empty value counts as absent, API.md §1.6; a bad value is a 400 with ``errors`` keyed
by the parameter name) and the id field of request bodies."""
from itam.api import fields

# The largest id a database integer key holds; a larger number is a validation error,
# never a database overflow (a 500).
MAX_ID = 2**63 - 1


def id_field(**kwargs):
    return fields.IntegerField(max_value=MAX_ID, **kwargs)


def query_params(request, serializer_class):
    """The validated parameters of ``request`` (absent ones omitted)."""
    given = {k: v for k, v in request.query_params.items() if str(v).strip() != ""}
    serializer = serializer_class(data=given)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
