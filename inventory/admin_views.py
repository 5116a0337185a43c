"""Admin pages for ops staff: the dashboard data shown on the admin index, and the tree page.

Both read through querysets with a fixed number of queries, whatever the fleet size.
"""
from datetime import timedelta

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import HttpResponseRedirect
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
        .select_related("gpu__server").order_by("expires_at", "id"),
        "audit_entries": AuditLog.objects.order_by("-created_at", "-id")[:LATEST_AUDIT_ENTRIES],
    }


def _tree_children():
    """Prefetches for the tree: containers with their services, and GPUs with their holder,
    each in the API's order (API.md §4)."""
    services = Service.objects.order_by("sort_order", "id")
    containers = Container.objects.order_by("sort_order", "id").prefetch_related(Prefetch("services", services))
    gpus = GPU.objects.select_related("assigned_to").order_by("sort_order", "index", "id")
    return Prefetch("containers", containers), Prefetch("gpus", gpus)


def group_by_datacenter(servers):
    """[(datacenter, [servers])] ordered by datacenter name; servers keep their order."""
    groups = {}
    for server in servers:
        groups.setdefault(server.datacenter, []).append(server)
    return sorted(groups.items(), key=lambda item: (item[0].name.lower(), item[0].pk))


def tree_view(request, site):
    """Datacenter → server → containers and GPUs → services, expandable.

    The servers are those the server changelist would show for the same query string: its
    filters (status, environment, datacenter), its search and its pages. So the tree has
    exactly the list's filters without a second implementation of them.
    """
    server_admin = site.get_model_admin(Server)
    if not server_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        cl = server_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        if ERROR_FLAG in request.GET:
            return SimpleTemplateResponse("admin/invalid_setup.html", {"title": "Database error"})
        return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
    prefetch_related_objects(cl.result_list, *_tree_children())
    context = {
        **site.each_context(request),
        "title": "Server tree",
        "cl": cl,
        "opts": cl.opts,
        "media": server_admin.media,
        "datacenters": group_by_datacenter(cl.result_list),
    }
    return TemplateResponse(request, "itam/tree.html", context)
