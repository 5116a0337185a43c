"""Workbook export (API.md §7.4) and the import template (§7.2), from the sheet Resources.

Used by the API, the admin workbook page and ``manage.py export_data``. Every sheet is
written with exactly the headers and encodings the importer reads, so an export re-imports
as is.
"""
from datetime import timezone as dt_timezone

from django.utils import timezone

from ..models import GPU, Container, Datacenter, Environment, GpuReservation, Server, Service
from ..resources import RESOURCE_BY_KEY, SHEET_RESOURCES
from ..workbook import write_workbook

EXPORT_TYPES = ("all", *RESOURCE_BY_KEY)
TEMPLATE_FILENAME = "import_template.xlsx"


def export_filename(export_type, now=None):
    """``export_{type}_YYYYMMDD_HHMMSS.xlsx`` in UTC."""
    now = (now or timezone.now()).astimezone(dt_timezone.utc)
    return f"export_{export_type}_{now:%Y%m%d_%H%M%S}.xlsx"


def querysets_for_all(server_ids=None):
    """{report key: queryset} of the whole inventory, or of the given servers with their
    datacenters, containers, services, GPUs and the GPUs' reservations."""
    if server_ids is None:
        return {key: resource().export_queryset() for key, resource in RESOURCE_BY_KEY.items()}
    servers = Server.objects.filter(pk__in=server_ids)
    scoped = {
        "datacenters": Datacenter.objects.filter(pk__in=servers.values("datacenter_id")),
        "servers": servers,
        "containers": Container.objects.filter(server__in=servers),
        "services": Service.objects.filter(container__server__in=servers),
        "gpus": GPU.objects.filter(server__in=servers),
        "reservations": GpuReservation.objects.filter(gpu__server__in=servers),
    }
    return {key: RESOURCE_BY_KEY[key]().export_queryset(qs) for key, qs in scoped.items()}


def querysets_for(export_type):
    """{report key: queryset} of everything of ``export_type`` (``all`` or one sheet's key)."""
    querysets = querysets_for_all()
    return querysets if export_type == "all" else {export_type: querysets[export_type]}


def export_workbook(querysets, *, ordered=True):
    """xlsx bytes with one sheet per entry of ``querysets`` ({report key: queryset}), in
    workbook order. Rows follow the natural key unless ``ordered`` is False (the querysets
    carry an order of their own, e.g. an API ``ordering``)."""
    sheets = []
    for resource_class in SHEET_RESOURCES:
        if resource_class.report_key in querysets:
            resource = resource_class()
            rows = resource.export_rows(querysets[resource_class.report_key], ordered=ordered)
            sheets.append((resource.sheet, resource.headers(), rows))
    return write_workbook(sheets)


def template_workbook(owner=None):
    """Every sheet with its headers and one consistent example row: the example server sits
    in the example datacenter, the container on that server, and so on (the reservation
    books the example GPU tomorrow for ``owner``)."""
    env = Environment.objects.order_by("sort_order", "id").first()
    overrides = {"Environment": env.code} if env is not None else {}
    if owner is not None and getattr(owner, "username", None):
        overrides["Owner"] = owner.username
    sheets = []
    for resource_class in SHEET_RESOURCES:
        resource = resource_class()
        sheets.append((resource.sheet, resource.headers(), [resource.example_row(**overrides)]))
    return write_workbook(sheets)
