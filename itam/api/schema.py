"""drf-spectacular additions: the response envelope (the authentication schemes are described
next to their classes, in ``accounts.authentication``).

Views describe only the ``data`` part of a response (a serializer, or ``None``);
``envelope_responses`` wraps it so the published schema matches what clients receive
(API.md §1.3-§1.5) and a schema-driven fuzzer can validate every response.
"""
from .exceptions import MESSAGES

JSON = "application/json"
PAGINATION = "Pagination"
ERROR_ENVELOPE = "ErrorEnvelope"
# The error statuses every operation may answer with (§1.4); 500 is deliberately absent.
ERROR_STATUSES = ("400", "401", "403", "404", "405", "422", "429")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENTS = {
    PAGINATION: {
        "type": "object",
        "properties": {
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
        "required": ["page", "page_size", "total", "pages"],
    },
    ERROR_ENVELOPE: {
        "type": "object",
        "properties": {
            "code": {"type": "integer", "description": "Equals the HTTP status."},
            "message": {"type": "string"},
            "data": {"type": "object", "nullable": True, "description": "null, except where documented."},
            "errors": {
                "type": "object",
                "description": "Field or parameter name (dotted for nested fields) -> messages.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["code", "message", "data"],
    },
}


def success_envelope(data_schema, paginated=False):
    properties = {
        "code": {"type": "integer", "enum": [0]},
        "message": {"type": "string"},
        "data": data_schema,
    }
    required = ["code", "message", "data"]
    if paginated:
        properties["pagination"] = _ref(PAGINATION)
        required.append("pagination")
    return {"type": "object", "properties": properties, "required": required}


def error_envelope(data_schema):
    """An error whose ``data`` is documented (a failed import's report, unhealthy health)."""
    # OpenAPI 3.0 ignores keywords beside a $ref, so a referenced schema is nested in allOf.
    data = {"allOf": [data_schema]} if "$ref" in data_schema else dict(data_schema)
    data["nullable"] = True
    return {"allOf": [_ref(ERROR_ENVELOPE), {"type": "object", "properties": {"data": data}}]}


def _is_paginated(operation, schema):
    names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
    return "page" in names and "page_size" in names and schema.get("type") == "array"


def _wrap_operation(operation):
    responses = operation.setdefault("responses", {})
    if "204" in responses and "200" not in responses:
        responses["200"] = responses.pop("204")  # the API never answers 204 (§1.3)
    for status, response in responses.items():
        is_error = status[0] in "45"
        if not response.get("content"):
            # No body declared: still an envelope, with "data": null on success (DELETE, logout).
            null_data = {"type": "object", "nullable": True}
            response["content"] = {JSON: {"schema": _ref(ERROR_ENVELOPE) if is_error else success_envelope(null_data)}}
            continue
        media = response["content"].get(JSON)
        if media is None:
            continue  # a file download (xlsx): not JSON
        schema = media.get("schema", {})
        if is_error:
            media["schema"] = error_envelope(schema)
        else:
            media["schema"] = success_envelope(schema, _is_paginated(operation, schema))
    for status in ERROR_STATUSES:
        responses.setdefault(
            status,
            {"description": MESSAGES[int(status)], "content": {JSON: {"schema": _ref(ERROR_ENVELOPE)}}},
        )


def envelope_responses(result, generator, request, public):
    """Postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
                _wrap_operation(operation)
    return result
