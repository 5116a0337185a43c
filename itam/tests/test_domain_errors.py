"""Domain exceptions (itam.errors) reach API clients as the envelope of API.md §1.4."""
import json

import pytest

from itam import errors
from itam.api.exceptions import envelope_exception_handler


def answer(exc):
    response = envelope_exception_handler(exc, {})
    return response.status_code, response.data


@pytest.mark.parametrize(
    ("exc", "status", "message", "errors_"),
    [
        (errors.NotFound("GPU not found."), 404, "GPU not found.", None),
        (errors.Conflict("GPU is already free."), 422, "GPU is already free.", None),
        (errors.Conflict("Taken.", field="name"), 422, "Taken.", {"name": ["Taken."]}),
        (errors.Invalid("Expiry must lie in the future.", field="expires_at"), 400, "Validation failed.",
         {"expires_at": ["Expiry must lie in the future."]}),
        (errors.Invalid("Nothing to do."), 400, "Validation failed.", {"non_field_errors": ["Nothing to do."]}),
        (errors.Invalid(errors={"a": ["x"], "b": ["y", "z"]}), 400, "Validation failed.", {"a": ["x"], "b": ["y", "z"]}),
        (errors.Unauthenticated("Invalid username or password."), 401, "Invalid username or password.", None),
        (errors.Forbidden("This account is disabled."), 403, "This account is disabled.", None),
    ],
)
def test_each_domain_exception_maps_to_its_status_and_envelope(exc, status, message, errors_):
    status_code, body = answer(exc)
    assert status_code == status
    assert body["code"] == status and body["message"] == message and body["data"] is None
    assert body.get("errors") == errors_
    json.dumps(body)


def test_messages_lists_every_message_for_one_place_edges():
    assert errors.Invalid(errors={"a": ["x"], "b": ["y"]}).messages() == ["x", "y"]
    assert errors.Conflict("Busy.").messages() == ["Busy."]
