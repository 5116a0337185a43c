"""Network addresses, shared by the models, the API fields, the audit trail and the login
throttles: IP normalisation and the client address behind trusted proxies."""
import ipaddress

from django.conf import settings


def normalize_ip(value):
    """IPv6 compressed lower-case, an IPv4-mapped one with its IPv4 part dotted
    (``::ffff:10.0.0.1``, as PostgreSQL's inet and Django's own fields write it, so every
    database returns the same text); IPv4 as given. Raises ValueError when invalid."""
    address = ipaddress.ip_address(str(value).strip())
    mapped = getattr(address, "ipv4_mapped", None)
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def _trusted_networks():
    networks = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def client_ip(request, trusted=None):
    """The socket address; X-Forwarded-For only when the socket peer is a trusted proxy.

    Walks the X-Forwarded-For chain from the right, skipping trusted proxies, so a client
    cannot forge its address by sending the header itself.
    """
    trusted = _trusted_networks() if trusted is None else trusted
    remote = request.META.get("REMOTE_ADDR") or None

    def is_trusted(ip):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in trusted)

    if remote and trusted and is_trusted(remote):
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        for hop in reversed(forwarded):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                break
            if not is_trusted(hop):
                return hop
            remote = hop
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None
