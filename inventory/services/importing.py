"""The workbook import (API.md §7: five sheets, and the Reservations sheet of
docs/API-NOTES.md): the one importer behind the API, the admin workbook page and
``manage.py import_data``.

Two phases. **Check**: every row of every sheet is parsed with its Resource's widgets,
validated with the model's validators and matched by natural key against maps loaded once
per sheet (no per-row queries); rows to create are registered in the maps so later sheets
can refer to them. Every problem becomes an error ``{sheet, row, column, message}``.
**Write**: only when there is no error and it is not a dry run, all planned creates and
updates are written in bulk, with history and one ``import`` audit entry per row, in one
transaction. So an import either fully happens or writes nothing at all.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.bulk import bulk_create_with_audit, bulk_update_with_audit
from audit.choices import Action
from audit.context import get_context
from audit.recorder import spec_for
from itam.errors import DomainError, Invalid
from itam.persistence import fold

from ..choices import HOLDING_RESERVATION, ReservationStatus
from ..models import (
    GPU,
    Container,
    Datacenter,
    Environment,
    GPUAssignment,
    GpuReservation,
    PortMapping,
    Server,
    Service,
)
from ..resources import (
    RESERVATION_ENDS,
    RESERVATION_GPU,
    RESERVATION_STARTS,
    RESOURCE_BY_MODEL,
    SHEET_RESOURCES,
    ContainerResource,
    DatacenterResource,
    GPUResource,
    ReservationResource,
    ServerResource,
    ServiceResource,
    field_validator,
)
from ..workbook import cyclic_gc_paused, normalize_header
from . import gpu_assignment, reservations
from .containers import ExternalAddresses, MappingReplacements, in_port_order, same_mappings
from .ownership import claim_for_creator

REQUIRED = "This field is required."
MISSING_COLUMN = "Required column is missing."
REPEATED_COLUMN = "This column appears more than once in the header row; keep one."
FORMULA = "Formulas are not allowed; enter the value itself."
CONCURRENT_CHANGE = "The inventory changed while the file was imported; nothing was written. Import it again."
PROGRESS_EVERY = 1000
CONCURRENT_ATTEMPTS = 3


# --- the report ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What the import does with one row (the admin's preview lists them)."""

    row: int
    outcome: str
    obj: object
    changes: dict  # an update's changed columns: {label: (old value, new value)}, as text or None


@dataclass
class SheetReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)
    # Outcome(row number, "created"|"updated"|"skipped", object, {column: (old, new)} of an update)
    outcomes: list = field(default_factory=list)

    def count(self, row, outcome, obj, changes=None):
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.outcomes.append(Outcome(row.number, outcome, obj, changes or {}))

    def add_late_errors(self, errors):
        """Errors found once the whole sheet was planned (a rule between rows): their rows are
        errors, not counted as what they would have done, and every error stays in row order."""
        if not errors:
            return
        failed = {error["row"] for error in errors}
        for outcome in self.outcomes:
            if outcome.row in failed:
                setattr(self, outcome.outcome, getattr(self, outcome.outcome) - 1)
        self.outcomes = [outcome for outcome in self.outcomes if outcome.row not in failed]
        self.errors.extend(errors)
        self.errors.sort(key=lambda error: error["row"])

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped, "errors": self.errors}


@dataclass
class ImportReport:
    dry_run: bool = False
    sheets: dict = field(default_factory=lambda: {r.report_key: SheetReport() for r in SHEET_RESOURCES})

    @property
    def error_count(self):
        return sum(len(s.errors) for s in self.sheets.values())

    @property
    def ok(self):
        return self.error_count == 0

    def totals(self):
        return tuple(sum(getattr(s, k) for s in self.sheets.values()) for k in ("created", "updated", "skipped"))

    @property
    def message(self):
        if not self.ok:
            n = self.error_count
            return f"Import failed: {n} error{'s' if n != 1 else ''}; nothing was written."
        created, updated, skipped = self.totals()
        counts = f"{created} created, {updated} updated, {skipped} skipped"
        return f"Dry run finished: {counts}; nothing was written." if self.dry_run else f"Import finished: {counts}."

    def errors(self):
        return [e for s in self.sheets.values() for e in s.errors]

    def as_dict(self):
        return {"dry_run": self.dry_run, **{key: s.as_dict() for key, s in self.sheets.items()}}


def import_workbook(sheets, *, user=None, overwrite=False, dry_run=False, progress=None):
    """Import ``sheets`` ({normalized sheet name: workbook.SheetData}) and return the report.

    ``user`` is the importing admin: default owner of new containers and services, and the
    ``assigned_by`` of GPU assignments the import opens (None under ``system_context``).
    ``progress(sheet_title, rows_done, rows_total)`` is called now and then.
    """
    with cyclic_gc_paused(), transaction.atomic():
        # Someone may write the same rows between the check and the write (the same workbook
        # imported twice at once): the import is checked again against what they wrote, so
        # identical imports converge (the later ones skip or update), a few times at most.
        for attempt in range(1, CONCURRENT_ATTEMPTS + 1):
            report = ImportReport(dry_run=dry_run)
            plan = Plan(user=user, overwrite=overwrite)
            for resource_class in SHEET_RESOURCES:
                sheet = sheets.get(normalize_header(resource_class.sheet))
                if sheet is not None:
                    IMPORTERS[resource_class](plan, report.sheets[resource_class.report_key], progress).run(sheet)
            if not report.ok or dry_run:
                break
            try:
                with transaction.atomic(), plan.mappings.recorded():  # containers' entries show their mappings
                    plan.write()
                break
            except IntegrityError as exc:  # someone changed the same rows since they were checked
                if attempt == CONCURRENT_ATTEMPTS:
                    resource = RESOURCE_BY_MODEL.get(getattr(exc, "model", None), SHEET_RESOURCES[0])
                    report.sheets[resource.report_key].errors.append({
                        "sheet": resource.sheet, "row": 1, "column": None, "message": CONCURRENT_CHANGE})
    return report


# --- lookups shared by all sheets -----------------------------------------------------------

def _l(text):
    return fold(text or "")


class Plan:
    """Natural-key maps (existing and to-be-created objects) and the writes to make.

    Keys are tuples of lower-cased names, e.g. a container is ``(dc, server, name)``, so a
    row can be matched before its parents exist in the database.
    """

    def __init__(self, user, overwrite):
        self.user = user if getattr(user, "pk", None) else None
        self.overwrite = overwrite
        self.now = timezone.now()
        environments = list(Environment.objects.all())
        self.env_by_code = {_l(env.code): env for env in environments}
        self.env_by_name = {_l(env.name): env for env in environments}
        self.users = {
            _l(u.username): u
            for u in get_user_model().objects.only("id", "username", "display_name", "is_active")
        }
        self.objects = defaultdict(dict)  # model -> {key: obj}
        self.objects[Datacenter] = self.datacenters = {(_l(dc.name),): dc for dc in Datacenter.objects.all()}
        self.loaded = defaultdict(set)  # model -> datacenter keys whose objects are in self.objects
        self.failed = defaultdict(set)  # model -> keys of rows that had errors
        self.creates = defaultdict(list)
        self.updates = defaultdict(list)  # model -> [(obj, changed attrs, old audit values)]
        self.mappings = MappingReplacements()
        self.assignee_changes = []  # (gpu, new assignee or None)
        self.held_until = {}  # GPU id -> expires_at of its open assignment, as loaded
        self.booked_state = {}  # reservation id -> what the booking rules read of it, as loaded

    def username(self, pk):
        if pk is None:
            return None
        if not hasattr(self, "_usernames"):
            self._usernames = {u.pk: u.username for u in self.users.values()}
        return self._usernames.get(pk, pk)

    def environment(self, text):
        return self.env_by_code.get(_l(text)) or self.env_by_name.get(_l(text))

    def load(self, model, dc_keys):
        """Put the existing ``model`` objects of those datacenters into the maps (one query)."""
        dcs = {dc.pk: dc for k in dc_keys - self.loaded[model] if (dc := self.datacenters.get(k)) and dc.pk}
        self.loaded[model] |= set(dc_keys)
        dc_ids = list(dcs)
        if not dc_ids:
            return
        if model is not Server:
            self.load(Server, dc_keys)
        servers = {s.pk: s for s in self.objects[Server].values() if s.pk}
        if model is Server:
            for server in Server.objects.filter(datacenter_id__in=dc_ids):
                server.datacenter = dcs[server.datacenter_id]
                self.objects[Server][(_l(server.datacenter.name), _l(server.name))] = server
        elif model is Container:
            qs = Container.objects.filter(server__datacenter_id__in=dc_ids)
            if self.overwrite:
                qs = qs.prefetch_related("port_mappings")
            for c in qs:
                c.server = servers[c.server_id]
                self.objects[Container][self.container_key(c)] = c
        elif model is Service:
            self.load(Container, dc_keys)
            containers = {c.pk: c for c in self.objects[Container].values() if c.pk}
            for s in Service.objects.filter(container__server__datacenter_id__in=dc_ids):
                s.container = containers[s.container_id]
                self.objects[Service][self.container_key(s.container) + (_l(s.name),)] = s
        elif model is GPU:
            for g in GPU.objects.filter(server__datacenter_id__in=dc_ids):
                g.server = servers[g.server_id]
                self.objects[GPU][self.server_key(g.server) + (g.index,)] = g
        elif model is GpuReservation:
            self.load(GPU, dc_keys)
            gpus = {g.pk: g for g in self.objects[GPU].values() if g.pk}
            holding = GpuReservation.objects.filter(gpu__server__datacenter_id__in=dc_ids,
                                                    status__in=HOLDING_RESERVATION).select_related("user")
            for r in holding:
                r.gpu = gpus[r.gpu_id]
                self.objects[GpuReservation][self.reservation_key(r)] = r
                self.booked_state[r.pk] = booked_state(r)
            self.held_until.update(GPUAssignment.objects.filter(
                gpu__server__datacenter_id__in=dc_ids, released_at__isnull=True).values_list("gpu_id", "expires_at"))

    @staticmethod
    def server_key(server):
        return (_l(server.datacenter.name), _l(server.name))

    def container_key(self, container):
        return self.server_key(container.server) + (_l(container.name),)

    def reservation_key(self, reservation):
        gpu = reservation.gpu
        return self.server_key(gpu.server) + (gpu.index, reservation.starts_at.replace(microsecond=0))

    def planned_held_until(self):
        """A function: when a GPU's holder lets go once the import is written (None: no
        expiry; an assignment the import opens has none)."""
        reassigned = {id(gpu) for gpu, _ in self.assignee_changes}
        return lambda gpu: None if id(gpu) in reassigned else self.held_until.get(gpu.pk)

    # --- writing ---

    def write(self):
        # simple-history asks for each row's user through a request-local lookup unless the
        # object names it: naming it here saves that lookup on every history row.
        for objs in [*self.creates.values(), [obj for rows in self.updates.values() for obj, _, _ in rows],
                     self.mappings.new_mappings()]:
            for obj in objs:
                obj._history_user = self.user
        # Lock order is reservation, then GPU, as in the reservation services and jobs.
        changing = sorted(obj.pk for obj, _, _ in self.updates[GpuReservation])
        list(GpuReservation.objects.select_for_update().filter(pk__in=changing).order_by("pk").values_list("pk"))
        for model in (Datacenter, Server, Container, Service, GPU, GpuReservation):
            try:
                self.write_model(model)
            except IntegrityError as exc:
                exc.model = model
                raise

    def write_model(self, model):
        if model is GpuReservation:
            self.check_bookings_unchanged()
        if model is GPU:
            gpu_assignment.prepare_holders([*self.creates[GPU], *(gpu for gpu, _ in self.assignee_changes)])
        if self.creates[model]:
            bulk_create_with_audit(model, self.creates[model], action=Action.IMPORT)
        if self.updates[model]:
            objs = [obj for obj, _, _ in self.updates[model]]
            fields = sorted({f for _, changed, _ in self.updates[model] for f in changed} - {"port_mappings"})
            old = {obj.pk: values for obj, _, values in self.updates[model]}
            bulk_update_with_audit(model, objs, fields or ["updated_at"], action=Action.IMPORT, old_values=old)
        if model is Container:
            self.mappings.write()
        if model is GPU:
            self.write_assignments()

    def write_assignments(self):
        """Close the open assignment of every GPU whose assignee changed; open the new ones."""
        gpu_assignment.write_holder_changes(self.assignee_changes, by=self.user, at=self.now,
                                            history_user=self.user)

    def check_bookings_unchanged(self):
        """With the GPUs that get bookings locked (as a booking locks its GPU), everything the
        booking rules read is as it was checked; otherwise someone booked, assigned or
        released meanwhile, and the import is checked again (IntegrityError)."""
        booked = [obj for obj, _, _ in self.updates[GpuReservation]] + self.creates[GpuReservation]
        gpus = {obj.gpu.pk: obj.gpu for obj in booked if obj.gpu.pk is not None}
        if not gpus:
            return
        ids = sorted(gpus)
        now_gpus = {pk: (status, holder) for pk, status, holder in GPU.objects.select_for_update().filter(
            pk__in=ids).order_by("pk").values_list("pk", "status", "assigned_to_id")}
        now_held = dict(GPUAssignment.objects.filter(gpu_id__in=ids, released_at__isnull=True)
                        .values_list("gpu_id", "expires_at"))
        now_booked = {r.pk: booked_state(r) for r in GpuReservation.objects.filter(
            gpu_id__in=ids, status__in=HOLDING_RESERVATION)}
        checked_booked = {pk: state for pk, state in self.booked_state.items() if state[0] in gpus}
        held_until = self.planned_held_until()
        unchanged = (now_booked == checked_booked and all(
            now_gpus.get(pk) == (gpu.status, gpu.assigned_to_id) and now_held.get(pk) == held_until(gpu)
            for pk, gpu in gpus.items()))
        if not unchanged:
            raise IntegrityError(CONCURRENT_CHANGE)


def booked_state(reservation):
    return (reservation.gpu_id, reservation.starts_at, reservation.ends_at, reservation.status, reservation.user_id)


def same_value(stored, value):
    """Whether a cell's value leaves a field as it is: a blank text stored as "" (a form
    saved it) and a blank cell (None) are the same."""
    return stored == value or (stored in ("", None) and value in ("", None))


def object_factory(model):
    """A function making a new ``model`` instance with every field at its default, as
    ``model()`` does, but through the positional path of ``Model.__init__`` (the one
    ``from_db`` uses): a few times cheaper, for the tens of thousands of rows an import makes.
    Defaults that are callables or database defaults are made afresh for each instance."""
    fields = model._meta.concrete_fields
    fresh = {i for i, f in enumerate(fields) if (f.has_default() and callable(f.default)) or f.has_db_default()}
    defaults = [None if i in fresh else f.get_default() for i, f in enumerate(fields)]
    if not fresh:
        return lambda: model(*defaults)
    makers = [(i, fields[i].get_default) for i in sorted(fresh)]

    def new_object():
        values = defaults.copy()
        for i, make in makers:
            values[i] = make()
        return model(*values)
    return new_object


def _chunks(items, size=500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- one sheet ----------------------------------------------------------------------------

class Row:
    """One spreadsheet row being checked: its cleaned values by column and its errors."""

    __slots__ = ("number", "values", "errors", "sheet")

    def __init__(self, sheet, number):
        self.sheet, self.number, self.values, self.errors = sheet, number, {}, []

    def error(self, column, message):
        self.errors.append({"sheet": self.sheet, "row": self.number, "column": column, "message": message})

    def get(self, label, default=None):
        return self.values.get(label, default)

    def has(self, label):
        return label in self.values


class SheetImporter:
    """Checks one sheet row by row and adds its creates and updates to the plan.

    Subclasses name their resource and implement ``locate(row)`` -> (key, parent objects
    to set, or None when the row cannot be placed) and may refine ``finish(row, obj, new)``.
    """

    resource_class = None
    model = None
    dc_column = "Datacenter"

    def __init__(self, plan, report, progress=None):
        self.plan, self.report, self.progress = plan, report, progress
        self.resource = self.resource_class()
        self.audit_spec = spec_for(self.model)
        self.new_object = object_factory(self.model)
        self.seen = {}  # key -> row number, for duplicates inside the sheet

    def run(self, sheet):
        columns = self.map_columns(sheet)
        if columns is None:
            return
        self.plan.load(self.model, self.datacenter_keys(sheet, columns))
        rows = self.check_cells(sheet, columns)
        total = len(rows)
        for done, row in enumerate(rows, start=1):
            self.import_row(row)
            if self.progress and (done % PROGRESS_EVERY == 0 or done == total):
                self.progress(sheet.title, done, total)

    def map_columns(self, sheet):
        """[(Column, cell index, model field or None)] for the columns the sheet has;
        None (with errors reported on row 1) when a required column is missing."""
        index = {}
        for i, header in enumerate(sheet.headers):
            index.setdefault(normalize_header(header), []).append(i)
        columns, missing, repeated = [], [], []
        for col in self.resource.columns():
            found = index.get(normalize_header(col.label), ())
            if len(found) > 1:  # which one holds the data? Refused rather than half-read.
                repeated.append(col.label)
            if not found:
                if col.required:
                    missing.append(col.label)
                continue
            columns.append((col, found[0], self.validated_field(col)))
        for label, message in [(label, MISSING_COLUMN) for label in missing] + [(label, REPEATED_COLUMN) for label in repeated]:
            self.report.errors.append({"sheet": self.resource.sheet, "row": 1, "column": label, "message": message})
        self.labels = {col.model_attribute: col.label for col, _, model_field in columns
                       if col.model_attribute and col.model_attribute not in self.special_shown}
        # (label, attribute, value for a blank cell) of the plain columns ``assign`` sets
        self.plain = [
            (col.label, col.model_attribute, None if model_field.null else model_field.get_default())
            for col, _, model_field in columns
            if model_field is not None and col.model_attribute not in self.special
        ]
        return None if missing or repeated else columns

    def validated_field(self, col):
        """The model field whose validators check this column's values (plain fields only)."""
        try:
            model_field = self.model._meta.get_field(col.model_attribute or "")
        except Exception:  # noqa: BLE001 - locators and port mappings are not model fields
            return None
        return None if model_field.is_relation else model_field

    def datacenter_keys(self, sheet, columns):
        position = next((i for col, i, _ in columns if col.label == self.dc_column), None)
        if position is None:
            return set()
        return {(_l(str(values[position])),) for _, values in sheet.rows
                if position < len(values) and values[position] is not None}

    def check_cells(self, sheet, columns):
        """A Row per sheet row with its cells cleaned and checked: a formula is refused, then
        the column's widget parses the cell, a required column needs a value and the model
        field's validators check it. The checks run a column at a time (one call per column,
        not per cell); each row's errors still come in column order."""
        rows = [Row(self.resource.sheet, number) for number, _ in sheet.rows]
        formula_positions = defaultdict(set)  # cell index -> row positions
        if sheet.formulas:
            position_of = {number: position for position, (number, _) in enumerate(sheet.rows)}
            for number, index in sheet.formulas:
                if number in position_of:
                    formula_positions[index].add(position_of[number])
        cells_by_index = sheet.columns(1 + max(index for _, index, _ in columns))
        labels, value_columns, problem_columns = [], [], []
        for col, index, model_field in columns:
            values, problems = self.check_column(col, model_field, cells_by_index[index], formula_positions[index])
            labels.append(col.label)
            value_columns.append(values)
            problem_columns.append(problems)
        for row, values in zip(rows, zip(*value_columns)):
            row.values = dict(zip(labels, values))
        for position in sorted(set().union(*problem_columns)):
            row = rows[position]
            for label, problems in zip(labels, problem_columns):
                if position in problems:
                    del row.values[label]
                    row.error(label, problems[position])
        return rows

    @staticmethod
    def check_column(col, model_field, cells, formula_positions):
        """(values, {row position: message}) of one column's cells."""
        for position in formula_positions:
            cells[position] = None  # a formula's cached result is never parsed
        values, problems = col.widget.clean_column(cells)
        problems.update(dict.fromkeys(formula_positions, FORMULA))
        if col.required:
            for position, value in enumerate(values):
                if value is None and position not in problems:
                    problems[position] = REQUIRED
        if model_field is not None:
            messages_of = field_validator(model_field)
            for position, value in enumerate(values):
                if value is not None and position not in problems:
                    messages = messages_of(value)
                    if messages:
                        problems[position] = " ".join(messages)
        return values, problems

    def import_row(self, row):
        located = self.locate(row)
        if located is None:
            return self.fail(row, None)
        key, parents = located
        if key in self.seen:
            row.error(None, f"Duplicate of row {self.seen[key]}.")
            return self.fail(row, None)
        self.seen[key] = row.number
        existing = self.plan.objects[self.model].get(key)
        if existing is not None and not self.plan.overwrite:
            if row.errors:
                return self.fail(row, None)
            return self.report.count(row, "skipped", existing)
        # A row with errors is still checked to the end, so that all its errors are reported.
        obj = existing if existing is not None else self.new_object()
        old = self.audit_spec.values_of(obj) if existing is not None else None
        before = self.shown_values(obj) if existing is not None else None
        changed = self.assign(row, obj, parents, is_new=existing is None)
        changed |= self.finish(row, obj, existing is None)
        if row.errors:
            return self.fail(row, None if existing else key)
        if existing is None:
            self.plan.objects[self.model][key] = obj
            self.plan.creates[self.model].append(obj)
            return self.report.count(row, "created", obj)
        if changed:
            self.plan.updates[self.model].append((obj, changed, old))
            return self.report.count(row, "updated", obj, self.changes(before, obj, changed))
        return self.report.count(row, "skipped", obj)

    def shown_values(self, obj):
        """{attribute: value as the preview shows it} of the columns the sheet has."""
        return {attr: self.shown(obj, attr) for attr in self.labels}

    def shown(self, obj, attr):
        field = self.model._meta.get_field(attr)
        if not field.is_relation:
            return getattr(obj, attr)
        pk = getattr(obj, field.attname)
        if pk is None or field.related_model is get_user_model():
            return self.plan.username(pk)
        return str(getattr(obj, attr)) if field.is_cached(obj) else pk

    def changes(self, before, obj, changed):
        """{column label: (old, new)} of an update's changed columns."""
        return {self.labels[attr]: (before[attr], self.shown(obj, attr)) for attr in self.labels if attr in changed}

    def fail(self, row, key):
        self.report.errors.extend(row.errors)
        if key is not None:
            self.plan.failed[self.model].add(key)

    def assign(self, row, obj, parents, is_new):
        """Set the parents and every present plain column (blank -> the field's default);
        returns the attributes whose value changed."""
        changed = set()
        for attr, value in parents.items():
            if value.pk is None or getattr(obj, attr + "_id") != value.pk:
                changed.add(attr)
                setattr(obj, attr, value)
        values = row.values
        for label, attr, default in self.plain:
            if label not in values:
                continue  # the cell had an error
            value = values[label]
            if value is None:
                value = default
            if is_new or not same_value(getattr(obj, attr), value):
                changed.add(attr)
                setattr(obj, attr, value)
        return changed

    special = frozenset()
    special_shown = frozenset({"port_mappings"})  # shown by their own importer

    def finish(self, row, obj, is_new):
        return set()

    # helpers for subclasses

    def parent(self, row, model, key, column, message, failed_too=False):
        """The object at ``key``; None with an error unless that parent's own row already
        failed (its row carries the error)."""
        found = self.plan.objects[model].get(key)
        if found is None and not failed_too and key not in self.plan.failed[model]:
            row.error(column, message)
        return found

    def locate_on_server(self, row, own_key):
        """(key, parents) of a row that sits on the server named by Datacenter and Server."""
        dc_name, server_name = row.get("Datacenter"), row.get("Server")
        if None in (dc_name, server_name, own_key):
            return None
        server_key = (_l(dc_name), _l(server_name))
        server = self.parent(row, Server, server_key, None,
                             f"Server '{server_name}' does not exist in datacenter '{dc_name}'.")
        return server_key + (own_key,), ({"server": server} if server else {})

    def user(self, row, label, *, active=False):
        """The user named in column ``label`` (None when blank); errors when unknown."""
        username = row.get(label)
        if username is None:
            return None
        found = self.plan.users.get(_l(username))
        if found is None:
            row.error(label, f"User '{username}' does not exist.")
        elif active and not found.is_active:
            row.error(label, f"User '{username}' is inactive.")
        return found

    def set_user(self, row, obj, label, attr, *, active=False):
        """Apply a username column to ``attr`` (blank clears it); returns {attr} if it changed."""
        if not row.has(label):
            return set()
        user = self.user(row, label, active=active)
        if user is None and row.get(label) is not None:
            return set()  # unknown user: reported
        if getattr(obj, attr + "_id") != (user.pk if user else None):
            setattr(obj, attr, user)
            return {attr}
        return set()

    def set_owner(self, row, obj, is_new):
        """Owner: a username; blank means the importing admin on create (owner = creator),
        unchanged on update."""
        if row.get("Owner") is not None:
            return self.set_user(row, obj, "Owner", "owner")
        if not is_new:
            return set()
        try:
            claim_for_creator(obj, self.plan.user)
        except Invalid:
            row.error("Owner", "Give the owner's username: there is no importing user to default to.")
            return set()
        return {"owner"}


class DatacenterImporter(SheetImporter):
    resource_class, model = DatacenterResource, Datacenter
    dc_column = None

    def locate(self, row):
        name = row.get("Name")
        return None if name is None else ((_l(name),), {})


class ServerImporter(SheetImporter):
    resource_class, model = ServerResource, Server

    def locate(self, row):
        dc_name, name, env_text = row.get("Datacenter"), row.get("Name"), row.get("Environment")
        if dc_name is None or name is None:
            return None
        parents = {}
        dc = self.parent(row, Datacenter, (_l(dc_name),), "Datacenter", f"Datacenter '{dc_name}' does not exist.")
        if dc is not None:
            parents["datacenter"] = dc
        if env_text is not None:
            env = self.plan.environment(env_text)
            if env is None:
                row.error("Environment", f"Environment '{env_text}' does not exist.")
            else:
                parents["environment"] = env
        return (_l(dc_name), _l(name)), parents


class ContainerImporter(SheetImporter):
    resource_class, model = ContainerResource, Container
    special = frozenset({"port_mappings"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_port_mapping = object_factory(PortMapping)
        self.addresses = ExternalAddresses()  # the mappings this sheet writes, by row
        self.mapping_changes = {}  # container id -> (old chains, new chains), for the preview

    def run(self, sheet):
        super().run(sheet)
        self.report.add_late_errors([
            {"sheet": self.resource.sheet, "row": number, "column": "Port Mappings", "message": message}
            for number, message in self.addresses.clashes()])

    def locate(self, row):
        return self.locate_on_server(row, _l(row.get("Name")) if row.get("Name") is not None else None)

    def finish(self, row, obj, is_new):
        changed = self.set_owner(row, obj, is_new)
        changed |= self.set_user(row, obj, "Assigned User", "assigned_user")
        # A container whose server row failed has no server, so no mapping chains to describe.
        on_server = obj.server_id is not None or Container.server.is_cached(obj)
        if (is_new or row.has("Port Mappings")) and on_server:
            changed |= self.plan_mappings(row, obj, row.get("Port Mappings") or [], is_new)
        return changed

    def plan_mappings(self, row, container, wanted, is_new):
        """Replace the container's mappings with ``wanted`` when they differ (the container
        service's rules: a new container's entry lists its mappings, even none; external
        addresses are checked when the sheet is done)."""
        existing = None if is_new else list(container.port_mappings.all())
        if not is_new and same_mappings(existing, wanted):
            return set()
        mappings = [self.new_mapping(container, m) for m in wanted]
        self.plan.mappings.add(container, existing, mappings)
        if not is_new:
            self.mapping_changes[container.pk] = tuple(
                "; ".join(m.mapping_chain for m in in_port_order(ms)) or None for ms in (existing, mappings))
        self.addresses.add(container, mappings, [row.number] * len(mappings))
        return {"port_mappings"}

    def changes(self, before, obj, changed):
        changes = super().changes(before, obj, changed)
        if "port_mappings" in changed:
            changes["Port Mappings"] = self.mapping_changes[obj.pk]
        return changes

    def new_mapping(self, container, values):
        """``PortMapping(container=container, **values)``, made as ``object_factory`` makes rows."""
        mapping = self.new_port_mapping()
        mapping.container = container
        for attr, value in values.items():
            setattr(mapping, attr, value)
        return mapping


class ServiceImporter(SheetImporter):
    resource_class, model = ServiceResource, Service

    def locate(self, row):
        dc_name, server_name, container_name, name = (
            row.get("Datacenter"), row.get("Server"), row.get("Container"), row.get("Name"))
        if None in (dc_name, server_name, container_name, name):
            return None
        server_key = (_l(dc_name), _l(server_name))
        container_key = server_key + (_l(container_name),)
        if server_key in self.plan.objects[Server]:
            message = f"Container '{container_name}' does not exist on server '{server_name}' in datacenter '{dc_name}'."
        else:
            message = f"Server '{server_name}' does not exist in datacenter '{dc_name}'."
        container = self.parent(row, Container, container_key, None, message,
                                failed_too=server_key in self.plan.failed[Server])
        return container_key + (_l(name),), ({"container": container} if container else {})

    def finish(self, row, obj, is_new):
        return self.set_owner(row, obj, is_new)


class GPUImporter(SheetImporter):
    resource_class, model = GPUResource, GPU
    special = frozenset({"status"})

    def locate(self, row):
        return self.locate_on_server(row, row.get("Index"))

    def finish(self, row, obj, is_new):
        """Assignee and status together: an assignee needs ``in_use``; a changed assignee
        closes the open assignment and opens one for the new assignee when written."""
        before = None if is_new else obj.assigned_to_id
        changed = self.set_user(row, obj, "Assigned To", "assigned_to", active=True)
        assignee_changed = obj.assigned_to_id != before
        # A blank Status cell (or a new holder) lets the holder decide; no column keeps it.
        kept = None if is_new or row.has("Status") or assignee_changed else obj.status
        try:
            status = gpu_assignment.status_for(obj.assigned_to_id, row.get("Status"), kept)
        except DomainError as exc:
            row.error("Status", exc.message)
            return changed
        if is_new or obj.status != status:
            obj.status = status
            changed.add("status")
        if assignee_changed:
            self.plan.assignee_changes.append((obj, obj.assigned_to))
            changed.add("holding")
        return changed


STARTS, ENDS = RESERVATION_STARTS, RESERVATION_ENDS
RULE_COLUMNS = {"gpu_id": RESERVATION_GPU, "user_id": "User", "starts_at": STARTS, "ends_at": ENDS}
STATUS_NOT_IMPORTED = ("An import books reservations and never sets their status: leave Status blank, pending or "
                       "active (cancel a reservation in the admin or the API).")
OVERLAPS_ROW = "Overlaps the reservation on row {row} of this sheet."


class ReservationImporter(SheetImporter):
    """Books each new row, and with overwrite changes a pending booking's user, end and
    purpose, under the rules of API.md §11.2 (``services.reservations``), checked against
    the state the whole workbook leaves (a GPU it assigns, a booking it shortens).

    A row is keyed by its GPU and start, to the second: among pending and active bookings
    no two of a GPU start together (they would overlap)."""

    resource_class, model = ReservationResource, GpuReservation
    special = frozenset({"starts_at", "ends_at", "purpose"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = {}  # id(booking) -> its row number, for the bookings the sheet makes or changes

    def run(self, sheet):
        super().run(sheet)
        self.report.add_late_errors(self.check_bookings())

    def locate(self, row):
        dc_name, server_name, index, starts_at = (
            row.get("Datacenter"), row.get("Server"), row.get(RULE_COLUMNS["gpu_id"]), row.get(STARTS))
        if None in (dc_name, server_name, index, starts_at):
            return None
        server_key = (_l(dc_name), _l(server_name))
        if server_key in self.plan.objects[Server]:
            message = f"GPU {index} does not exist on server '{server_name}' in datacenter '{dc_name}'."
        else:
            message = f"Server '{server_name}' does not exist in datacenter '{dc_name}'."
        gpu = self.parent(row, GPU, server_key + (index,), None, message,
                          failed_too=server_key in self.plan.failed[Server])
        return server_key + (index, starts_at), ({"gpu": gpu} if gpu else {})

    def finish(self, row, obj, is_new):
        changed = self.set_user(row, obj, "User", "user", active=True)
        if is_new:
            obj.starts_at = row.get(STARTS)
            changed.add("starts_at")
        ends_at = row.get(ENDS)
        if ends_at is not None and (is_new or obj.ends_at.replace(microsecond=0) != ends_at):
            obj.ends_at = ends_at
            changed.add("ends_at")
        if row.has("Purpose") and not same_value(obj.purpose, row.get("Purpose")):
            obj.purpose = row.get("Purpose")
            changed.add("purpose")
        if row.get("Status") not in (None, *HOLDING_RESERVATION):
            row.error("Status", STATUS_NOT_IMPORTED)
        if not is_new and changed and obj.status != ReservationStatus.PENDING:
            row.error(None, reservations.ONLY_PENDING)
        elif changed & {"starts_at", "ends_at"} and ends_at is not None:
            try:
                reservations.check_window(obj.starts_at, obj.ends_at, self.plan.now)
            except DomainError as exc:
                self.rule_error(row, exc)
        self.rows[id(obj)] = row.number
        return changed

    @staticmethod
    def rule_error(row, exc):
        field = exc.field or next(iter(exc.errors or {}), None)
        row.error(RULE_COLUMNS.get(field), exc.message)

    def check_bookings(self):
        """The overlap and holder rules for every booking the sheet makes or changes, once
        all rows are planned: against the bookings it leaves alone, then against its own
        earlier rows."""
        planned = {id(o.obj) for o in self.report.outcomes if o.outcome in ("created", "updated")}
        by_gpu = defaultdict(list)
        for booking in sorted(self.plan.objects[GpuReservation].values(), key=lambda r: r.starts_at):
            by_gpu[id(booking.gpu)].append(booking)
        errors = []
        held_until = self.plan.planned_held_until()
        for booking in sorted((b for group in by_gpu.values() for b in group if id(b) in planned),
                              key=lambda b: self.rows[id(b)]):
            row = Row(self.resource.sheet, self.rows[id(booking)])
            others = [other for other in by_gpu[id(booking.gpu)]
                      if other is not booking and reservations.windows_overlap(
                          booking.starts_at, booking.ends_at, other.starts_at, other.ends_at)]
            kept = next((other for other in others if id(other) not in planned), None)
            gpu = booking.gpu
            try:
                reservations.refuse_booking(gpu.status, gpu.assigned_to_id, held_until(gpu),
                                            kept, booking.user_id, booking.starts_at)
            except DomainError as exc:
                self.rule_error(row, exc)
            else:
                earlier = [self.rows[id(other)] for other in others
                           if id(other) in planned and self.rows[id(other)] < row.number]
                if earlier:
                    row.error(STARTS, OVERLAPS_ROW.format(row=min(earlier)))
            errors += row.errors
        return errors


IMPORTERS = {
    DatacenterResource: DatacenterImporter,
    ServerResource: ServerImporter,
    ContainerResource: ContainerImporter,
    ServiceResource: ServiceImporter,
    GPUResource: GPUImporter,
    ReservationResource: ReservationImporter,
}
