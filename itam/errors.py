"""Domain exceptions: what a service raises when a write cannot happen.

Services speak the domain, not HTTP: they raise these and nothing from DRF. The edges
translate them: the API's one exception handler (``itam.api.exceptions``) into the error
envelope of API.md §1.4, the admin into form errors or messages.

- ``NotFound``  an object the write names does not exist            (API: 404)
- ``Invalid``   the input breaks a rule of its own (a field's value) (API: 400, ``errors``)
- ``Conflict``  the input is fine but the current state forbids it  (API: 422)
- ``Unauthenticated``  the credentials are wrong, expired or revoked (API: 401)
- ``Forbidden``  the caller is known but may not do this            (API: 403)

``field`` names the input field the message is about (``errors`` on the API, the form
field in the admin); ``errors`` gives several fields at once, ``{field: [message, ...]}``.
"""


class DomainError(Exception):
    default_message = "The request cannot be carried out."

    def __init__(self, message=None, *, field=None, errors=None):
        self.message = str(message or self.default_message)
        self.field = field
        if errors is None and field is not None:
            errors = {field: [self.message]}
        self.errors = {name: [str(m) for m in messages] for name, messages in (errors or {}).items()} or None
        super().__init__(self.message)

    def messages(self):
        """Every message, for an edge that shows them in one place (an admin message)."""
        if not self.errors:
            return [self.message]
        return [message for messages in self.errors.values() for message in messages]


class NotFound(DomainError):
    default_message = "Not found."


class Invalid(DomainError):
    default_message = "Validation failed."


class Conflict(DomainError):
    default_message = "The request conflicts with the current state."


class Unauthenticated(DomainError):
    default_message = "Authentication required."


class Forbidden(DomainError):
    default_message = "You do not have permission to perform this action."
