"""The importer's fast checks give what the cell-by-cell checks gave: column-wise cleaning
and validation (same values, same errors in the same order), the widgets' shortcuts for
the usual cell types, the inline validator tests and the positional model constructor."""
import datetime
import gc
import itertools

import pytest

from audit.models import AuditLog
from inventory.choices import ServerStatus
from inventory.models import GPU, Container, Datacenter, PortMapping, Server, Service
from inventory.resources import (
    SHEET_RESOURCES,
    BooleanWidget,
    ChoiceWidget,
    IntegerWidget,
    IPWidget,
    NumberWidget,
    PortMappingsWidget,
    TextWidget,
    field_validator,
    validation_messages,
)
from inventory.services.importing import (
    FORMULA,
    IMPORTERS,
    REQUIRED,
    Plan,
    Row,
    SheetReport,
    import_workbook,
    object_factory,
)
from inventory.workbook import SheetData

pytestmark = pytest.mark.django_db

# Cells of every kind a sheet can hold, valid and not for one column or another.
AWKWARD = [
    None, "", "   ", "web-01", "  Web-01 ", "'=1+1", "'", "=x", "-", "bad name!", "x" * 70, "y" * 300,
    0, 1, -5, 15, 16, 22, 65535, 70000, 2**63, 16.0, 16.5, -0.0, 0.05, 100.0, 100.5, 1e300, float("inf"),
    float("nan"), True, False, "TRUE", "no", "maybe", " 42 ", "1e3", "16.0", "NaN",
    "10.0.0.7", "2001:DB8::1", "10.0.0.300", "running", "RUNNING", "up", "in_use", "tcp",
    '[{"container_port": 22, "internal_port": 2022, "protocol": "UDP", "external_ip": "2001:DB8::5"}]',
    '[{"container_port": 0, "internal_port": "x"}]', "'[]", "[", "{}", "[1]",
    datetime.datetime(2026, 1, 1, 8, 30), datetime.date(2026, 1, 1),
]


def awkward_sheet(resource_class, rows=120):
    """Rows that cycle through AWKWARD at a different pace per column (so values meet in
    many combinations), some of them short, with a few formula cells."""
    headers = resource_class().headers()
    sheet = SheetData(resource_class.sheet, headers)
    for position in range(rows):
        values = [AWKWARD[(position * (1 + 2 * index) + index) % len(AWKWARD)] for index in range(len(headers))]
        if position % 7 == 3:
            values = values[:position % len(headers)]  # a short row: its last cells are absent
        number = position + 2
        sheet.rows.append((number, values))
        if position % 11 == 5 and values:
            sheet.formulas.add((number, position % len(values)))
    return sheet


def previous_parse(importer, sheet, number, values, columns):
    """The cell-by-cell check the column-wise one replaced, kept as the reference."""
    row = Row(importer.resource.sheet, number)
    for col, index, model_field in columns:
        present = index < len(values)
        if present and (number, index) in sheet.formulas:
            row.error(col.label, FORMULA)
            continue
        try:
            value = col.widget.clean(values[index] if present else None)
        except ValueError as exc:
            row.error(col.label, str(exc))
            continue
        if value is None and col.required:
            row.error(col.label, REQUIRED)
            continue
        if value is not None and model_field is not None:
            messages = validation_messages(model_field, value)
            if messages:
                row.error(col.label, " ".join(messages))
                continue
        row.values[col.label] = value
    return row


def same(value):
    """Comparable form: NaN equals NaN, and 1 differs from 1.0 and True."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, list):
        return [same(v) for v in value]
    if isinstance(value, dict):
        return {k: same(v) for k, v in value.items()}
    return (type(value), value)


@pytest.mark.parametrize("resource_class", SHEET_RESOURCES, ids=lambda r: r.sheet)
def test_column_checks_give_the_cell_by_cell_values_and_errors(resource_class, admin_user):
    sheet = awkward_sheet(resource_class)
    importer = IMPORTERS[resource_class](Plan(user=admin_user, overwrite=False), SheetReport())
    columns = importer.map_columns(sheet)
    checked = importer.check_cells(sheet, columns)
    expected = [previous_parse(importer, sheet, number, values, columns) for number, values in sheet.rows]
    assert [(r.number, same(r.values), r.errors) for r in checked] == [
        (r.number, same(r.values), r.errors) for r in expected]
    errors = [e for r in checked for e in r.errors]
    assert {e["message"] for e in errors} >= {FORMULA, REQUIRED}  # the sheet does exercise every check
    assert any(len(r.errors) > 1 for r in checked)


SUBCLASS = {str: type("Text", (str,), {}), int: type("Int", (int,), {}), float: type("Float", (float,), {})}


@pytest.mark.parametrize("widget", [
    TextWidget(), IntegerWidget(), NumberWidget(), BooleanWidget(), ChoiceWidget(ServerStatus), IPWidget(),
    PortMappingsWidget(),
], ids=lambda w: type(w).__name__)
def test_widget_shortcuts_for_usual_cells_agree_with_their_general_path(widget):
    """A subclass of str/int/float skips the ``type(value) is ...`` shortcuts, so the same
    value through both paths must give the same result or the same error."""
    def outcome(value):
        try:
            return "ok", same(widget.clean(value))
        except ValueError as exc:
            return "error", str(exc)

    checked = 0
    for value in AWKWARD:
        subclass = SUBCLASS.get(type(value))
        if subclass is None:
            continue
        general = outcome(subclass(value))
        if general[0] == "ok" and isinstance(general[1], tuple) and general[1][0] is subclass:
            general = ("ok", same(type(value)(general[1][1])))  # returned as given: compare as the base type
        assert outcome(value) == general, value
        checked += 1
    assert checked > 40


def test_clean_column_is_clean_on_each_cell():
    widget = IntegerWidget()
    values, problems = widget.clean_column(["7", None, "x", 3.0, True])
    assert values == [7, None, None, 3, None]
    assert problems == {2: "A valid integer is required.", 4: "A valid integer is required."}


def validated_fields():
    for model in (Datacenter, Server, Container, Service, GPU, PortMapping):
        for field in model._meta.concrete_fields:
            if not field.is_relation and not field.primary_key:
                yield field


@pytest.mark.parametrize("field", list(validated_fields()), ids=lambda f: f"{f.model.__name__}.{f.name}")
def test_field_validator_gives_the_messages_django_gives(field):
    candidates = [v for v in AWKWARD if v is not None] + [
        -1, 1024, 1025, 65536, 1048577, 2**31, 9223372036854775807, 9223372036854775808, 0.1, 0.09, 99.99, -0.01,
        "a" * 16, "a" * 17, "a" * 32, "a" * 33, "a" * 64, "a" * 65, "a" * 128, "a" * 129, "a" * 256, "a" * 257,
        "ok_name.1-2", "with space", "", "10.1.2.3", "::1"]
    check = field_validator(field)
    for value in candidates:
        try:
            expected = validation_messages(field, value)
        except TypeError:  # a value of a type the field's validators cannot compare
            with pytest.raises(TypeError):
                check(value)
            continue
        assert check(value) == expected, value


@pytest.mark.parametrize("model", [Datacenter, Server, Container, Service, GPU, PortMapping, AuditLog])
def test_object_factory_makes_what_the_model_constructor_makes(model):
    make = object_factory(model)
    ours, theirs = make(), model()
    names = [f.attname for f in model._meta.concrete_fields]
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    assert ours._state.adding and ours._state.db is None
    if model is AuditLog:  # callable defaults are made afresh for each object
        assert make().changes == {} and make().changes is not ours.changes


def test_import_leaves_the_cyclic_collector_on(admin_user):
    sheet = SheetData("Datacenters", ["Name"], [(2, ["DC-1"]), (3, ["DC-2", "extra"])])
    report = import_workbook({"datacenters": sheet}, user=admin_user)
    assert report.ok and gc.isenabled()
    assert not import_workbook({"datacenters": SheetData("Datacenters", ["Location"], [(2, ["x"])])}).ok
    assert gc.isenabled()


def test_awkward_sheets_cover_each_column_with_many_kinds_of_cell():
    sheet = awkward_sheet(SHEET_RESOURCES[1])
    kinds = {type(v) for v in itertools.chain.from_iterable(values for _, values in sheet.rows)}
    assert {str, int, float, bool, type(None), datetime.datetime, datetime.date} <= kinds
