"""manage.py export_data FILE [--type TYPE]: the workbook export of API.md §7.4."""
from django.core.management.base import BaseCommand, CommandError

from inventory.services.exporting import EXPORT_TYPES, export_workbook, querysets_for
from inventory.workbook import CellTooLong


class Command(BaseCommand):
    help = "Export the inventory (or one sheet of it) to an .xlsx workbook that import_data reads back."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx file to write")
        parser.add_argument("--type", default="all", choices=EXPORT_TYPES, help="what to export (default: all)")

    def handle(self, *args, file, type, **options):
        querysets = querysets_for(type)
        try:
            content = export_workbook(querysets)
        except CellTooLong as exc:
            raise CommandError(exc.message) from None
        try:
            with open(file, "wb") as handle:
                handle.write(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror}.") from None
        counts = ", ".join(f"{qs.count()} {key}" for key, qs in querysets.items())
        self.stdout.write(self.style.SUCCESS(f"Exported {counts} to {file}."))
