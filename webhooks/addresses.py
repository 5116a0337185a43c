"""Where a webhook may be sent: the one check, made when a webhook is saved and again before
every attempt (DNS may have changed since), whose answer is the address to connect to.

Only ``http``/``https``; no credentials in the URL; every address the host resolves to must
be public (not loopback, private, link-local, shared, multicast, reserved or unspecified;
IPv4-mapped IPv6 judged as IPv4), unless ``WEBHOOK_ALLOW_PRIVATE`` (development, tests).
The request then goes to the checked address, so a second lookup cannot redirect it.
"""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from itam.errors import Invalid

SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (the Host header, TLS server name)
    port: int
    path: str  # path and query, what the request line names
    address: str  # the checked IP to connect to


def _invalid(message):
    return Invalid(message, field="url")


def parse(url):
    """``(scheme, host, port, path)`` of a well-formed webhook URL, else ``Invalid`` on ``url``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid("Enter a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _invalid("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise _invalid("Enter a valid URL.")
    if parts.username is not None or parts.password is not None:
        raise _invalid("Credentials in the URL are not allowed; use the secret to authenticate.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or SCHEMES[scheme], path


def is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is link-local anyway
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host, port):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _invalid(f"The host {host} does not resolve.") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def check(url):
    """The ``Target`` of ``url`` after every rule above, else ``Invalid`` on ``url``."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    if not getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False):
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            raise _invalid(f"The host {host} resolves to a non-public address ({refused[0]}).")
    return Target(scheme, host, port, path, addresses[0])
