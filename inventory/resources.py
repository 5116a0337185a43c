"""The workbook columns of API.md §7.1, as django-import-export Resources.

One Resource per sheet declares its columns (header, model attribute, widget, required
mark), how its rows are found by natural key, the queryset and order of an export, and the
example row of the import template. The workbook importer (``inventory.services.importing``),
the exporter, the admin and the management commands all use these classes, so a column is
declared once.

Widgets turn a cell into a Python value (``clean``, raising ValueError with the message a
user sees) and a value into a cell (``render``, native types so numbers stay numbers).
"""
import datetime
import json
import math
from functools import cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import BaseValidator, RegexValidator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from import_export import fields, resources, widgets

from itam.net import normalize_ip
from itam.text import is_ascii_number_text

from .choices import (
    HOLDING_RESERVATION,
    ContainerStatus,
    GPUStatus,
    Protocol,
    ReservationStatus,
    ServerStatus,
    ServiceStatus,
    ServiceType,
)
from .models import (
    GPU,
    Container,
    Datacenter,
    GpuReservation,
    PortMapping,
    Server,
    Service,
    validate_port_mapping_count,
)
from .workbook import is_blank, restore_text, utc_cell

INVALID_INTEGER = "A valid integer is required."
INVALID_NUMBER = "A valid number is required."
INVALID_BOOLEAN = "Must be TRUE or FALSE (also true/false, 1/0, yes/no)."
INVALID_IP = "Enter a valid IPv4 or IPv6 address."
INVALID_DATETIME = "Enter a date and time in UTC, e.g. 2026-12-07 09:00 (a date cell or ISO 8601 text)."


def validation_messages(model_field, value):
    """The messages of the model field's own validators (ranges, lengths) for ``value``."""
    try:
        model_field.run_validators(value)
    except DjangoValidationError as exc:
        return exc.messages
    return []


@cache
def field_validator(model_field):
    """``validation_messages`` for ``model_field`` as a function of the value, quick for
    valid values: an import checks hundreds of thousands of them.

    The bounds (lengths, ranges) and patterns of the field's validators are first tested
    with the validators' own ``clean``/``compare`` and regex; only a value one of them
    refuses (or cannot compare) goes through Django's ``run_validators`` for the messages.
    Fields with other validators run them as Django does, for every value.
    """
    tests = [_refusal_test(validator) for validator in model_field.validators]
    if None in tests:
        def messages(value):
            return validation_messages(model_field, value)
    else:
        def messages(value):
            try:
                for refuses in tests:
                    if refuses(value):
                        break
                else:
                    return []
            except TypeError:  # e.g. text against a number bound: Django's own run decides
                pass
            return validation_messages(model_field, value)
    return messages


def _refusal_test(validator):
    """A function telling whether ``validator`` refuses a value, without building its error;
    None for a validator whose rule it cannot restate."""
    kind = type(validator)
    if isinstance(validator, BaseValidator) and kind.__call__ is BaseValidator.__call__:
        if callable(validator.limit_value):
            return None
        limit, clean, compare = validator.limit_value, validator.clean, validator.compare
        return lambda value: compare(clean(value), limit)
    if isinstance(validator, RegexValidator) and kind.__call__ is RegexValidator.__call__:
        search, inverse = validator.regex.search, bool(validator.inverse_match)
        return lambda value: (search(str(value)) is None) != inverse
    return None


# --- widgets ------------------------------------------------------------------------------

class ColumnCleaning:
    """``clean_column``: a whole column's cells cleaned, for the workbook importer."""

    def clean_column(self, cells):
        """(cleaned values, {position: message}) of ``clean`` on each cell; a cell whose
        ``clean`` raises ValueError is None in the values and its message is reported."""
        values, problems = [], {}
        clean = self.clean
        for position, cell in enumerate(cells):
            try:
                values.append(clean(cell))
            except ValueError as exc:
                values.append(None)
                problems[position] = str(exc)
        return values, problems


class TextWidget(ColumnCleaning, widgets.CharWidget):
    """Trimmed text; blank is None. Numeric cells become their text ("16", not "16.0")."""

    def __init__(self):
        super().__init__(coerce_to_string=False, allow_blank=False)

    def clean(self, value, row=None, **kwargs):
        if type(value) is str:  # the usual cell, answered without the general steps below
            value = value.strip()
            return (restore_text(value) if value[0] == "'" else value) if value else None
        if is_blank(value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return restore_text(str(value).strip())

    def render(self, value, obj=None, **kwargs):
        return None if value in (None, "") else str(value)


class IntegerWidget(ColumnCleaning, widgets.IntegerWidget):
    """An integer from a numeric cell or numeric text; fractions and booleans are refused."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if type(value) is int:  # the usual cell
            return value
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise ValueError(INVALID_INTEGER)
        if isinstance(value, int):
            return value
        try:
            number = float(str(value).strip()) if is_ascii_number_text(value) else math.nan
        except ValueError:
            raise ValueError(INVALID_INTEGER) from None
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError(INVALID_INTEGER)
        return int(number)


class NumberWidget(ColumnCleaning, widgets.FloatWidget):
    """A finite number from a numeric cell or numeric text."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if type(value) is float and math.isfinite(value):  # the usual cell
            return value
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise ValueError(INVALID_NUMBER)
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
            if not is_ascii_number_text(value):
                number = math.nan
        except (TypeError, ValueError):
            raise ValueError(INVALID_NUMBER) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(INVALID_NUMBER)
        return number


class BooleanWidget(ColumnCleaning, widgets.BooleanWidget):
    """TRUE/FALSE, true/false, 1/0, yes/no (any case) or a boolean cell."""

    WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        try:
            return self.WORDS[str(value).strip().lower()]
        except KeyError:
            raise ValueError(INVALID_BOOLEAN) from None

    def render(self, value, obj=None, **kwargs):
        return value


class ChoiceWidget(TextWidget):
    """One enum value of ``choices`` (matched case-insensitively, written as stored)."""

    def __init__(self, choices):
        super().__init__()
        self.values = {value.lower(): value for value in choices.values}

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        if text is None:
            return None
        try:
            return self.values[text.lower()]
        except KeyError:
            raise ValueError(f'"{text}" is not a valid choice.') from None


class IPWidget(TextWidget):
    """IPv4 or IPv6, normalised exactly as the API does (``normalize_ip``, which the API's
    IPAddressField uses too); a zone id ("fe80::1%eth0") is no address here either."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        if text is None:
            return None
        try:
            if "%" in text:
                raise ValueError(text)
            return normalize_ip(text)
        except ValueError:
            raise ValueError(INVALID_IP) from None


class DateTimeWidget(ColumnCleaning, widgets.Widget):
    """A moment in UTC, to the second: a date cell (spreadsheets have no time zones: UTC), or
    ISO 8601 text with an offset or ``Z`` (naive: UTC). Written as a naive UTC date cell."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        if isinstance(value, str):
            try:
                value = parse_datetime(restore_text(value.strip()))
            except ValueError:  # well-formed but impossible, e.g. 2026-02-30
                value = None
        elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        if not isinstance(value, datetime.datetime):
            raise ValueError(INVALID_DATETIME)
        if timezone.is_naive(value):
            value = value.replace(tzinfo=datetime.UTC)
        try:
            return value.astimezone(datetime.UTC).replace(microsecond=0)
        except OverflowError:  # an offset that moves 0001-01-01 or 9999-12-31 off the calendar
            raise ValueError(INVALID_DATETIME) from None

    def render(self, value, obj=None, **kwargs):
        return utc_cell(value)


class PortMappingsWidget(ColumnCleaning, widgets.Widget):
    """A JSON array of mapping objects (the writable keys of API.md §3.6) <-> a list of dicts.

    ``clean`` checks every entry with the PortMapping model's own validators and returns the
    entries normalised to ``MAPPING_KEYS``; blank is no mappings.
    """

    MAPPING_KEYS = PortMapping.value_fields
    REQUIRED = ("container_port", "internal_port")
    PARSERS = {
        "container_port": IntegerWidget(), "internal_port": IntegerWidget(), "external_port": IntegerWidget(),
        "internal_ip": IPWidget(), "external_ip": IPWidget(), "protocol": ChoiceWidget(Protocol),
        "description": TextWidget(),
    }

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        try:
            items = json.loads(restore_text(str(value)))
        except (ValueError, RecursionError):
            raise ValueError("Enter a JSON array of port mappings.") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ValueError("Enter a JSON array of port mapping objects.")
        try:
            validate_port_mapping_count(len(items))
        except DjangoValidationError as exc:
            raise ValueError(exc.messages[0]) from None
        problems, mappings = [], []
        for number, item in enumerate(items, start=1):
            mapping = {}
            for key in self.MAPPING_KEYS:
                try:
                    mapping[key] = self._clean_key(key, item.get(key))
                except ValueError as exc:
                    problems.append(f"Mapping {number}, {key}: {exc}")
            mappings.append(mapping)
        if problems:
            raise ValueError(" ".join(problems))
        return mappings

    def _clean_key(self, key, raw):
        value = self.PARSERS[key].clean(raw)
        if value is None:
            if key in self.REQUIRED:
                raise ValueError("This field is required.")
            return Protocol.TCP.value if key == "protocol" else None
        messages = field_validator(PortMapping._meta.get_field(key))(value)
        if messages:
            raise ValueError(" ".join(messages))
        return value

    def render(self, value, obj=None, **kwargs):
        """PortMapping objects, or their ``mapping_dicts`` (the fast export reads plain values)."""
        if not value:
            return None
        items = value if isinstance(value[0], dict) else mapping_dicts(value)
        return json.dumps(items, ensure_ascii=False)


def mapping_dicts(mappings):
    """Existing PortMapping objects -> the comparable form ``PortMappingsWidget.clean`` returns."""
    return [{key: getattr(m, key) for key in PortMappingsWidget.MAPPING_KEYS} for m in mappings]


MAPPING_ORDER = ("container_port", "id")  # of a container's mappings in its Port Mappings cell
SORTED_MAPPINGS = "sorted_mappings"  # the export path of the Port Mappings column


def mappings_by_container(containers):
    """{container id: [mapping dict, ...]} of the containers in ``containers``, in one query."""
    keys = PortMappingsWidget.MAPPING_KEYS
    rows = (PortMapping.objects.filter(container__in=containers.values("pk"))
            .order_by("container_id", *MAPPING_ORDER).values_list("container_id", *keys))
    grouped = {}
    for container_id, *values in rows:
        grouped.setdefault(container_id, []).append(dict(zip(keys, values)))
    return grouped


def sort_text(value):
    """A natural-key part: text compared case-insensitively (blank as empty), numbers as they are."""
    if isinstance(value, str):
        return value.lower()
    return "" if value is None else value


# --- columns --------------------------------------------------------------------------

class Column(fields.Field):
    """A workbook column. ``label`` is the header without the `*` that ``required`` adds.

    ``attribute`` is the model attribute the column sets on import (``None`` for columns
    that only locate a row, such as Datacenter on the Containers sheet) and ``export_path``
    what the export reads (``datacenter__name``).
    """

    def __init__(self, label, attribute=None, widget=None, *, required=False, export_path=None):
        super().__init__(
            attribute=export_path or attribute, column_name=label + ("*" if required else ""),
            widget=widget or TextWidget(),
        )
        self.label = label
        self.required = required
        self.model_attribute = attribute


def text(label, attribute=None, **kw):
    return Column(label, attribute, TextWidget(), **kw)


def integer(label, attribute, **kw):
    return Column(label, attribute, IntegerWidget(), **kw)


def number(label, attribute, **kw):
    return Column(label, attribute, NumberWidget(), **kw)


def choice(label, attribute, choices, **kw):
    return Column(label, attribute, ChoiceWidget(choices), **kw)


def ip(label, attribute, **kw):
    return Column(label, attribute, IPWidget(), **kw)


def moment(label, attribute, **kw):
    return Column(label, attribute, DateTimeWidget(), **kw)


def related(label, attribute, export_path, **kw):
    """A relation by natural key: the importer resolves the text, the export writes ``export_path``."""
    return Column(label, attribute, TextWidget(), export_path=export_path, **kw)


def locator(label, export_path, widget=None):
    """A required column that only helps find the row's parent (no attribute of its own)."""
    return Column(label, None, widget or TextWidget(), required=True, export_path=export_path)


# --- resources ------------------------------------------------------------------------

class SheetResource(resources.Resource):
    """A sheet of the workbook. Subclasses declare columns, ``sheet``, ``report_key``,
    ``model``, ``natural_key`` (the export paths that order the rows) and ``EXAMPLE``
    (template row by column label)."""

    sheet = ""
    report_key = ""
    model = None
    EXAMPLE = {}

    def columns(self):
        return self.get_export_fields()

    def headers(self):
        return self.get_export_headers()

    export_select = ()  # relations the export reads, loaded with the rows
    export_prefetch = ()

    def export_queryset(self, queryset=None):
        """``queryset`` (default: every object) with everything the export reads, in a few queries."""
        queryset = self.model._default_manager.all() if queryset is None else queryset
        return queryset.select_related(*self.export_select).prefetch_related(*self.export_prefetch)

    natural_key = ()

    def export_related(self, queryset):
        """{export path: {pk: value}} for columns a row's own query cannot read (to-many relations)."""
        return {}

    def export_rows(self, queryset, ordered=True):
        """Cell values for ``queryset``, in natural-key order unless ``ordered`` is False (the
        queryset carries its own order, e.g. an API ``ordering``).

        Reads plain values with the relations joined (``values_list`` of the columns' export
        paths) and renders them with the columns' widgets: the same cells as ``Field.export``
        on model instances, without building thousands of them.
        """
        cols = self.columns()
        related = self.export_related(queryset)
        fetched = list(dict.fromkeys(["pk", *(c.attribute for c in cols if c.attribute not in related),
                                      *self.natural_key]))
        position = {path: i for i, path in enumerate(fetched)}
        records = queryset.prefetch_related(None).values_list(*fetched)
        if ordered:
            key_positions = [position[path] for path in self.natural_key]
            records = sorted(records, key=lambda r: tuple(sort_text(r[i]) for i in key_positions))
        cells = [(c.widget.render, position.get(c.attribute), related.get(c.attribute)) for c in cols]
        return ([render(record[i]) if by_pk is None else render(by_pk.get(record[0])) for render, i, by_pk in cells]
                for record in records)

    def example_row(self, **overrides):
        example = {**self.EXAMPLE, **overrides}
        return [example.get(col.label) for col in self.columns()]

class DatacenterResource(SheetResource):
    sheet, report_key, model = "Datacenters", "datacenters", Datacenter

    name = text("Name", "name", required=True)
    location = text("Location", "location")
    description = text("Description", "description")
    is_active = Column("Active", "is_active", BooleanWidget())

    EXAMPLE = {"Name": "DC-Example", "Location": "Building A", "Description": "Example datacenter",
               "Active": True}

    natural_key = ("name",)


class ServerResource(SheetResource):
    sheet, report_key, model = "Servers", "servers", Server

    datacenter = related("Datacenter", "datacenter", "datacenter__name", required=True)
    name = text("Name", "name", required=True)
    environment = related("Environment", "environment", "environment__code", required=True)
    internal_ip = ip("Internal IP", "internal_ip", required=True)
    external_ip = ip("External IP", "external_ip")
    status = choice("Status", "status", ServerStatus)
    cpu_cores = integer("CPU Cores", "cpu_cores")
    memory_gb = integer("Memory (GB)", "memory_gb")
    disk_gb = integer("Disk (GB)", "disk_gb")
    os_type = text("OS", "os_type")
    ssh_port = integer("SSH Port", "ssh_port")
    ssh_user = text("SSH User", "ssh_user")
    responsible_person = text("Responsible Person", "responsible_person")
    cpu_usage = number("CPU Usage (%)", "cpu_usage")
    memory_usage = number("Memory Usage (%)", "memory_usage")
    disk_usage = number("Disk Usage (%)", "disk_usage")
    description = text("Description", "description")

    EXAMPLE = {"Datacenter": "DC-Example", "Name": "web-01", "Environment": "prod", "Internal IP": "10.0.0.7",
               "External IP": "203.0.113.10", "Status": "online", "CPU Cores": 16, "Memory (GB)": 64,
               "Disk (GB)": 500, "OS": "Ubuntu 22.04", "SSH Port": 22, "SSH User": "root",
               "Responsible Person": "Alice", "CPU Usage (%)": 35.0, "Memory Usage (%)": 60.0,
               "Disk Usage (%)": 20.0, "Description": "Example server"}


    export_select = ("datacenter", "environment")
    natural_key = ("datacenter__name", "name")


class ContainerResource(SheetResource):
    sheet, report_key, model = "Containers", "containers", Container

    datacenter = locator("Datacenter", "server__datacenter__name")
    server = related("Server", "server", "server__name", required=True)
    name = text("Name", "name", required=True)
    owner = related("Owner", "owner", "owner__username")
    assigned_user = related("Assigned User", "assigned_user", "assigned_user__username")
    purpose = text("Purpose", "purpose")
    image = text("Image", "image")
    container_id = text("Container ID", "container_id")
    status = choice("Status", "status", ContainerStatus)
    cpu_limit = number("CPU Limit", "cpu_limit")
    memory_limit_mb = integer("Memory Limit (MB)", "memory_limit_mb")
    cpu_usage = number("CPU Usage (%)", "cpu_usage")
    memory_usage = number("Memory Usage (%)", "memory_usage")
    sort_order = integer("Sort Order", "sort_order")
    description = text("Description", "description")
    port_mappings = Column("Port Mappings", "port_mappings", PortMappingsWidget(), export_path=SORTED_MAPPINGS)

    EXAMPLE = {"Datacenter": "DC-Example", "Server": "web-01", "Name": "nginx-01", "Purpose": "reverse proxy",
               "Image": "nginx:1.27", "Container ID": "3f2a9c1b7d4e", "Status": "running", "CPU Limit": 2.0,
               "Memory Limit (MB)": 2048, "CPU Usage (%)": 12.5, "Memory Usage (%)": 40.0, "Sort Order": 0,
               "Description": "Example container",
               "Port Mappings": '[{"container_port": 22, "internal_ip": null, "internal_port": 20022, '
                                '"external_ip": null, "external_port": null, "protocol": "tcp", "description": "ssh"}]'}


    export_select = ("server__datacenter", "owner", "assigned_user")
    export_prefetch = (
        Prefetch("port_mappings", queryset=PortMapping.objects.order_by(*MAPPING_ORDER), to_attr=SORTED_MAPPINGS),
    )
    natural_key = ("server__datacenter__name", "server__name", "name")

    def export_related(self, queryset):
        return {SORTED_MAPPINGS: mappings_by_container(queryset)}


class ServiceResource(SheetResource):
    sheet, report_key, model = "Services", "services", Service

    datacenter = locator("Datacenter", "container__server__datacenter__name")
    server = locator("Server", "container__server__name")
    container = related("Container", "container", "container__name", required=True)
    name = text("Name", "name", required=True)
    owner = related("Owner", "owner", "owner__username")
    service_type = choice("Type", "service_type", ServiceType)
    port = integer("Port", "port")
    version = text("Version", "version")
    status = choice("Status", "status", ServiceStatus)
    health_check_url = text("Health Check URL", "health_check_url")
    sort_order = integer("Sort Order", "sort_order")
    description = text("Description", "description")

    EXAMPLE = {"Datacenter": "DC-Example", "Server": "web-01", "Container": "nginx-01", "Name": "nginx-80",
               "Type": "web", "Port": 80, "Version": "1.27", "Status": "healthy",
               "Health Check URL": "http://10.0.0.7/health", "Sort Order": 0, "Description": "Example service"}


    export_select = ("container__server__datacenter", "owner")
    natural_key = ("container__server__datacenter__name", "container__server__name", "container__name", "name")


class GPUResource(SheetResource):
    sheet, report_key, model = "GPUs", "gpus", GPU

    datacenter = locator("Datacenter", "server__datacenter__name")
    server = related("Server", "server", "server__name", required=True)
    index = integer("Index", "index", required=True)
    model_name = text("Model", "model", required=True)
    memory_gb = integer("Memory (GB)", "memory_gb", required=True)
    status = choice("Status", "status", GPUStatus)
    assigned_to = related("Assigned To", "assigned_to", "assigned_to__username")
    gpu_usage = number("GPU Usage (%)", "gpu_usage")
    memory_usage = number("Memory Usage (%)", "memory_usage")
    sort_order = integer("Sort Order", "sort_order")
    description = text("Description", "description")

    EXAMPLE = {"Datacenter": "DC-Example", "Server": "web-01", "Index": 0, "Model": "NVIDIA A100",
               "Memory (GB)": 80, "Status": "free", "GPU Usage (%)": 0.0, "Memory Usage (%)": 0.0,
               "Sort Order": 0, "Description": "Example GPU"}


    export_select = ("server__datacenter", "assigned_to")
    natural_key = ("server__datacenter__name", "server__name", "index")


RESERVATION_GPU, RESERVATION_STARTS, RESERVATION_ENDS = "GPU Index", "Starts At (UTC)", "Ends At (UTC)"


class ReservationResource(SheetResource):
    """The GPUs' bookings that still hold (pending and active): finished ones are history,
    read in the API and the audit log. An import books each new row under the rules of
    API.md §11.2; Status is written for reading and never imported (the jobs set it)."""

    sheet, report_key, model = "Reservations", "reservations", GpuReservation

    datacenter = locator("Datacenter", "gpu__server__datacenter__name")
    server = locator("Server", "gpu__server__name")
    gpu_index = locator(RESERVATION_GPU, "gpu__index", IntegerWidget())
    user = related("User", "user", "user__username", required=True)
    starts_at = moment(RESERVATION_STARTS, "starts_at", required=True)
    ends_at = moment(RESERVATION_ENDS, "ends_at", required=True)
    purpose = text("Purpose", "purpose")
    status = Column("Status", None, ChoiceWidget(ReservationStatus), export_path="status")

    EXAMPLE = {"Datacenter": "DC-Example", "Server": "web-01", RESERVATION_GPU: 0, "Purpose": "training run"}

    export_select = ("gpu__server__datacenter", "user")
    natural_key = ("gpu__server__datacenter__name", "gpu__server__name", "gpu__index", "starts_at")

    def export_queryset(self, queryset=None):
        return super().export_queryset(queryset).filter(status__in=HOLDING_RESERVATION)

    def example_row(self, **overrides):
        """Tomorrow 09:00 to 17:00 UTC, by the importing user (``User``, else ``Owner``)."""
        start = (timezone.now() + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        window = {RESERVATION_STARTS: utc_cell(start), RESERVATION_ENDS: utc_cell(start + datetime.timedelta(hours=8))}
        return super().example_row(**{"User": overrides.get("Owner"), **window, **overrides})


# The workbook's sheets in import order: later sheets refer to rows of earlier ones.
SHEET_RESOURCES = (DatacenterResource, ServerResource, ContainerResource, ServiceResource, GPUResource,
                   ReservationResource)
RESOURCE_BY_KEY = {r.report_key: r for r in SHEET_RESOURCES}
RESOURCE_BY_MODEL = {r.model: r for r in SHEET_RESOURCES}
