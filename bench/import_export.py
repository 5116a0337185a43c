#!/usr/bin/env python
"""Workbook export and import at fleet scale. Prints figures; asserts nothing.

    python bench/import_export.py                 # SQLite file var/bench_import_export.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/itam_bench_ie python bench/import_export.py

Builds the benchmark fleet (seed_demo: 10 datacenters, 1,000 servers, 10 containers per
server, 2 services per container, 4 GPUs per server), exports it to a workbook, empties the
inventory (environments and users stay), imports the workbook back as the admin, and prints
rows/s for both directions (the import figure includes reading the file, checking every
row, and writing rows, history and one audit entry per row), the peak resident memory, and
whether a second export is identical to the first. The machine may be shared: the CPU
seconds of this process are printed beside the wall-clock figures (on PostgreSQL the
database server's own CPU is not in them).
"""
import io
import os
import resource
import sys
import time
from pathlib import Path

if {"-h", "--help"} & set(sys.argv[1:]):  # the docstring is the usage; no options to parse
    print(__doc__)
    sys.exit(0)

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder comes first on sys.path; replace it, or this file would shadow the
# django-import-export package (also named import_export).
sys.path[0] = str(ROOT)
DB_FILE = ROOT / "var" / "bench_import_export.sqlite3"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB_FILE}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itam.settings")
os.environ.setdefault("DJANGO_ENV", "development")
os.environ["DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

FLEET = dict(datacenters=10, servers=1000, containers_per_server=10, services_per_container=2, gpus_per_server=4, seed=1)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def build_fleet():
    from inventory.models import Server

    call_command("migrate", verbosity=0)
    call_command("init_db", verbosity=0)
    if Server.objects.count() != FLEET["servers"]:
        empty_inventory()
        started = time.perf_counter()
        call_command("seed_demo", **FLEET, verbosity=0)
        print(f"built the benchmark fleet in {time.perf_counter() - started:.1f} s")


def empty_inventory():
    """Delete every inventory row straight away (environments and users stay). Bench only:
    ``_raw_delete`` skips the per-object delete signals a normal cascade would send."""
    from django.db import transaction

    from audit.models import AuditLog
    from inventory.models import GPU, Container, Datacenter, GPUAssignment, GpuReservation, PortMapping, Server, Service

    with transaction.atomic():  # GPUs and their open assignments refer to each other: checked at commit
        for model in (PortMapping, Service, GpuReservation, GPUAssignment, GPU, Container, Server, Datacenter,
                      AuditLog):
            model.objects.all()._raw_delete(model.objects.db)


def main():
    from audit.context import ChangeContext, use_context
    from inventory.services.exporting import export_workbook, querysets_for_all
    from inventory.services.importing import import_workbook
    from inventory.workbook import read_workbook

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    build_fleet()
    admin = get_user_model().objects.filter(role="admin").order_by("id").first()

    started, cpu = time.perf_counter(), time.process_time()
    content = export_workbook(querysets_for_all())
    export_seconds, export_cpu = time.perf_counter() - started, time.process_time() - cpu
    sheets = read_workbook(io.BytesIO(content))
    rows = {title: len(sheet.rows) for title, sheet in sheets.items()}
    total = sum(rows.values())
    print(f"workbook: {len(content) / 1e6:.1f} MB, {total} rows ({', '.join(f'{n} {t}' for t, n in rows.items())})")
    print(f"export: {export_seconds:.2f} s, {total / export_seconds:,.0f} rows/s "
          f"(CPU {export_cpu:.2f} s, {total / export_cpu:,.0f} rows per CPU-second); peak RSS {peak_rss_mb():.0f} MB")

    empty_inventory()
    with use_context(ChangeContext(user=admin, username=admin.username, request_id="bench-import")):
        started, cpu = time.perf_counter(), time.process_time()
        parsed = read_workbook(io.BytesIO(content))
        read_seconds = time.perf_counter() - started
        report = import_workbook(parsed, user=admin)
        import_seconds, import_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"import: {report.message} {len(report.errors())} errors")
    print(f"import: {import_seconds:.2f} s ({read_seconds:.2f} s reading the file), "
          f"{total / import_seconds:,.0f} rows/s including audit entries "
          f"(CPU of this process {import_cpu:.2f} s, {total / import_cpu:,.0f} rows per CPU-second); "
          f"peak RSS {peak_rss_mb():.0f} MB")

    from audit.models import AuditLog

    print(f"audit entries written by the import: {AuditLog.objects.filter(action='import').count()}")
    again = export_workbook(querysets_for_all())
    same = all(sheets[key].rows == sheet.rows for key, sheet in read_workbook(io.BytesIO(again)).items())
    print(f"second export identical to the first: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
