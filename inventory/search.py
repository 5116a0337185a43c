"""Global search (API.md §8): classify the keyword, then query each category with the
querysets the list endpoints use, so every item has its list shape."""
import re
from functools import reduce
from operator import or_

from django.db.models import Q

from .models import GPU, Container, PortMapping, Server, Service

IP, PORT, KEYWORD = "ip", "port", "keyword"
CATEGORIES = ("servers", "containers", "services", "port_mappings", "gpus")

# Up to four dot-separated groups of at most three digits, the last one possibly empty
# ("10.", "192.168", "10.0.0.7", "80"); or an IPv6 fragment: hex digits, ':' and '.'
# with at least one ':' ("fe80::1", "::").
IPV4_FRAGMENT = re.compile(r"^(\d{1,3}\.){0,3}\d{0,3}$", re.ASCII)
IPV6_FRAGMENT = re.compile(r"^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$")
MAX_PORT = 65535

SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT = 50, 200
QUICK_DEFAULT_LIMIT, QUICK_MAX_LIMIT = 10, 10
QUICK_MIN_LENGTH = 2


def classify(keyword):
    """``ip``, ``port`` or ``keyword`` for a trimmed, non-empty keyword (the §8.1 table, in
    its order)."""
    if IPV4_FRAGMENT.match(keyword) or IPV6_FRAGMENT.match(keyword):
        return IP
    # The length check first: int() refuses strings of more than 4,300 digits (ValueError).
    if keyword.isascii() and keyword.isdigit() and len(keyword.lstrip("0")) <= 5 and 1 <= int(keyword) <= MAX_PORT:
        return PORT
    return KEYWORD


def _any_contains(keyword, *fields):
    return reduce(or_, (Q(**{f"{f}__icontains": keyword}) for f in fields))


def _any_equals(value, *fields):
    return reduce(or_, (Q(**{f: value}) for f in fields))


def _filters(search_type, keyword):
    """Category -> Q for the categories this search type looks in."""
    if search_type == IP:
        return {
            "servers": _any_contains(keyword, "internal_ip", "external_ip"),
            "port_mappings": _any_contains(keyword, "internal_ip", "external_ip"),
        }
    if search_type == PORT:
        port = int(keyword)
        return {
            "servers": Q(ssh_port=port),
            "services": Q(port=port),
            "port_mappings": _any_equals(port, "container_port", "internal_port", "external_port"),
        }
    return {
        "servers": _any_contains(keyword, "name", "responsible_person", "description"),
        "containers": _any_contains(keyword, "name", "image", "description"),
        "services": _any_contains(keyword, "name", "service_type", "description"),
        "gpus": _any_contains(keyword, "model", "description"),
    }


def _base_querysets():
    """Each category's list queryset in its search order (§8.1)."""
    return {
        "servers": Server.objects.with_counts().order_by("name", "id"),
        "containers": Container.objects.with_counts().order_by("name", "id"),
        "services": Service.objects.with_related().order_by("name", "id"),
        "port_mappings": PortMapping.objects.select_related("container__server").order_by("id"),
        "gpus": GPU.objects.with_related().order_by("server_id", "index", "id"),
    }


def search(keyword, limit):
    """``(search_type, {category: queryset of at most limit objects, or None})``; a
    category the search type does not look in is None and costs no query."""
    if not keyword:
        return KEYWORD, dict.fromkeys(CATEGORIES)
    search_type = classify(keyword)
    filters = _filters(search_type, keyword)
    querysets = _base_querysets()
    return search_type, {
        name: querysets[name].filter(filters[name])[:limit] if name in filters else None for name in CATEGORIES
    }


def quick_search(keyword, limit):
    """Name suggestions: servers first, then containers, at most ``limit`` in all (§8.2)."""
    if len(keyword) < QUICK_MIN_LENGTH:
        return []
    servers = Server.objects.filter(name__icontains=keyword).order_by("name", "id").values(
        "id", "name", "internal_ip", "datacenter__name")[:limit]
    suggestions = [
        {"type": "server", "id": s["id"], "name": s["name"],
         "description": f"{s['internal_ip']} - {s['datacenter__name']}"}
        for s in servers
    ]
    remaining = limit - len(suggestions)
    if remaining > 0:
        containers = Container.objects.filter(name__icontains=keyword).order_by("name", "id").values(
            "id", "name", "server__name")[:remaining]
        suggestions += [
            {"type": "container", "id": c["id"], "name": c["name"], "description": f"on {c['server__name']}"}
            for c in containers
        ]
    return suggestions
