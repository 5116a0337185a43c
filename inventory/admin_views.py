"""Admin pages for ops staff: the dashboard data shown on the admin index, and the tree page.

Both read through querysets with a fixed number of queries, whatever the fleet size.
"""
from datetime import timedelta

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import SimpleTemplateResponse, TemplateResponse
from django.utils import timezone

from audit.models import AuditLog

from .choices import ContainerStatus, GPUStatus, ServerStatus
from .models import GPU, Container, Datacenter, Environment, GPUAssignment, Server, Service
from .querysets import count_of
from .services.utilization import gpu_utilization

EXPIRING_WITHIN = timedelta(days=7)
GPU_HOURS_DAYS = 30
LATEST_AUDIT_ENTRIES = 10
TOP_GPU_USERS = 10


def status_counts(model, choices):
    """Every status of ``choices`` (zero when unused) with its label, colour and count: one query."""
    counts = dict(model.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "color": choices.color(value), "count": counts.get(value, 0)}
        for value, label in choices.choices
    ]


def dashboard(now=None):
    """Everything the admin index shows, in eight queries."""
    now = now or timezone.now()
    return {
        "datacenters": Datacenter.objects.annotate(
            server_count=count_of(Server.objects, "datacenter"),
            container_count=count_of(Container.objects, "server__datacenter"),
            gpu_count=count_of(GPU.objects, "server__datacenter"),
        ),
        "environments": Environment.objects.annotate(server_count=count_of(Server.objects, "environment")),
        "server_status": status_counts(Server, ServerStatus),
        "container_status": status_counts(Container, ContainerStatus),
        "gpu_status": status_counts(GPU, GPUStatus),
        "gpu_hours_days": GPU_HOURS_DAYS,
        "gpu_hours": gpu_utilization(now - timedelta(days=GPU_HOURS_DAYS), now, now=now)[:TOP_GPU_USERS],
        "now": now,
        # Open assignments only; already expired ones too, until release_expired_gpus runs.
        "expiring": GPUAssignment.objects.filter(released_at__isnull=True, expires_at__lte=now + EXPIRING_WITHIN)
        .select_related("gpu__server__datacenter").order_by("expires_at", "id"),
        "audit_entries": AuditLog.objects.order_by("-created_at", "-id")[:LATEST_AUDIT_ENTRIES],
    }


def _tree_children():
    """Prefetches for the tree: containers with their services, and GPUs with their holder,
    each in the API's order (API.md §4)."""
    services = Service.objects.order_by("sort_order", "id")
    containers = Container.objects.order_by("sort_order", "id").prefetch_related(Prefetch("services", services))
    gpus = GPU.objects.select_related("assigned_to").order_by("sort_order", "index", "id")
    return Prefetch("containers", containers), Prefetch("gpus", gpus)


def _server_changelist(request, site):
    """The server changelist for this request (its filters, search and pages), or an error
    response (no permission, unknown parameters) as the changelist itself answers."""
    server_admin = site.get_model_admin(Server)
    if not server_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        return server_admin, server_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        if ERROR_FLAG in request.GET:
            return server_admin, SimpleTemplateResponse("admin/invalid_setup.html", {"title": "Database error"})
        return server_admin, HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")


def tree_datacenters(servers, filtered):
    """The tree's datacenters, by name, each with how many of ``servers`` (the filtered
    server queryset) it holds: one query, counting all of them, not a page. Without filters
    every datacenter shows, the empty ones too."""
    datacenters = Datacenter.objects.annotate(server_count=count_of(servers, "datacenter")).order_by("name", "id")
    return datacenters.filter(server_count__gt=0) if filtered else datacenters


def tree_view(request, site):
    """Datacenter → server → containers and GPUs → services, expandable.

    The page lists the datacenters with their true server counts; a datacenter's servers
    load when it is opened (``tree_datacenter_view``), a page at a time. The servers are
    those the server changelist shows for the same query string: its filters (status,
    environment, datacenter), its search, so the tree has exactly the list's filters without
    a second implementation of them.
    """
    server_admin, cl = _server_changelist(request, site)
    if not hasattr(cl, "queryset"):
        return cl
    context = {
        **site.each_context(request),
        "title": "Server tree",
        "cl": cl,
        "opts": cl.opts,
        "media": server_admin.media,
        "datacenters": tree_datacenters(cl.queryset, cl.has_active_filters or bool(cl.query)),
        "query_string": cl.get_query_string(remove=[PAGE_VAR]),
    }
    return TemplateResponse(request, "itam/tree.html", context)


def tree_datacenter_view(request, site, datacenter_id):
    """One datacenter's servers for the tree (an HTML fragment): the server changelist's
    page ``p`` for this datacenter. A server's containers and GPUs load when it is opened."""
    request.GET = request.GET.copy()
    request.GET["datacenter__id__exact"] = str(datacenter_id)
    _, cl = _server_changelist(request, site)
    if not hasattr(cl, "queryset"):
        return cl
    more = not cl.show_all and cl.page_num < cl.paginator.num_pages  # page_num counts from 1
    context = {
        "servers": cl.result_list,
        "more_url": f"{request.path}{cl.get_query_string({PAGE_VAR: cl.page_num + 1})}" if more else None,
        "remaining": cl.result_count - cl.page_num * cl.list_per_page,
    }
    return TemplateResponse(request, "itam/tree_servers.html", context)


def tree_server_view(request, site, server_id):
    """One server's containers (with their services) and GPUs for the tree (an HTML fragment)."""
    server_admin = site.get_model_admin(Server)
    if not server_admin.has_view_permission(request):
        raise PermissionDenied
    server = get_object_or_404(Server, pk=server_id)
    prefetch_related_objects([server], *_tree_children())
    return TemplateResponse(request, "itam/tree_server.html", {"server": server})
