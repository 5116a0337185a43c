"""manage.py import_data FILE [--dry-run] [--overwrite]: the workbook import of API.md §7."""
import sys

from django.core.management.base import BaseCommand, CommandError

from audit.context import system_context
from inventory.services.importing import import_workbook
from inventory.workbook import WorkbookError, read_workbook


class Command(BaseCommand):
    help = (
        "Import datacenters, servers, containers, services and GPUs from an .xlsx workbook (the "
        "layout of the API's import template). Atomic: any error and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx workbook")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--overwrite", action="store_true", help="update existing rows (default: skip them)")

    def handle(self, *args, file, dry_run, overwrite, **options):
        try:
            with open(file, "rb") as handle:
                sheets = read_workbook(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except WorkbookError as exc:
            raise CommandError(str(exc)) from None
        progress = self.progress if self.stdout.isatty() else None
        with system_context():
            report = import_workbook(sheets, overwrite=overwrite, dry_run=dry_run, progress=progress)
        for key, sheet in report.sheets.items():
            self.stdout.write(f"{key:<12} {sheet.created:>7} created {sheet.updated:>7} updated "
                              f"{sheet.skipped:>7} skipped {len(sheet.errors):>5} errors")
        if not report.ok:
            for error in report.errors():
                column = f", {error['column']}" if error["column"] else ""
                self.stderr.write(f"{error['sheet']} row {error['row']}{column}: {error['message']}")
            raise CommandError(report.message)
        self.stdout.write(self.style.SUCCESS(report.message))

    def progress(self, sheet, done, total):
        end = "\n" if done == total else ""
        self.stdout.write(f"\r{sheet}: {done}/{total} rows checked", ending=end)
        sys.stdout.flush()
