"""Query-parameter validation for the domain endpoints: a DRF serializer describes the
parameters, an empty value counts as absent (API.md §1.6), and a bad value is a 400 with
``errors`` keyed by the parameter name."""


def query_params(request, serializer_class):
    """The validated parameters of ``request`` (absent ones omitted)."""
    given = {k: v for k, v in request.query_params.items() if str(v).strip() != ""}
    serializer = serializer_class(data=given)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
