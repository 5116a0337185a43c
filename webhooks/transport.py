"""One HTTP POST of a webhook body to a checked address (``webhooks.addresses.Target``).

The standard library's ``http.client``: it follows no redirect (a 3xx is a failure), and the
connection goes to the address that was checked, with the URL's host in the ``Host`` header
and, for https, as the TLS server name the certificate must match. Every socket operation
times out after ``WEBHOOK_TIMEOUT_SECONDS``; at most ``MAX_RESPONSE_BYTES`` of the answer are
read, then the connection is closed.
"""
import http.client
import socket
import ssl
import time
from dataclasses import dataclass

MAX_RESPONSE_BYTES = 64 * 1024
RESPONSE_EXCERPT = 1000  # what a delivery record keeps of the answer


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str = ""
    response_body: str = ""

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_fields(self):
        return {"succeeded": self.succeeded, "status_code": self.status_code, "duration_ms": self.duration_ms,
                "error": self.error[:500], "response_body": self.response_body}


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target, body, headers, timeout):
    """POST ``body`` (bytes) to ``target``; an ``Outcome`` whatever happens (never raises)."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, target.address, timeout=timeout)
    started = time.monotonic()
    status, error, excerpt = None, "", ""
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        excerpt = response.read(MAX_RESPONSE_BYTES)[:RESPONSE_EXCERPT].decode("utf-8", "replace")
        if 300 <= status < 400:
            error = f"Redirect to {response.getheader('Location', '?')} not followed."
        elif not 200 <= status < 300:
            error = f"HTTP {status}."
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused, TLS, bad answers
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        connection.close()
    return Outcome(status, round((time.monotonic() - started) * 1000), error, excerpt)
