"""Enqueue the periodic jobs (``itam.jobs.periodic``) on their rhythm; the workers run them.

Run one scheduler per installation (a second one only enqueues the same idempotent jobs
twice). At start every periodic job is enqueued at once, so a restart catches up at once.
"""
import time

from django.core.management.base import BaseCommand

from itam.jobs import PERIODIC


class Command(BaseCommand):
    help = "Enqueue periodic background jobs (every minute: reservations, expiries, reminders)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every periodic job once, then exit.")

    def handle(self, *args, once=False, **options):
        next_run = {name: 0.0 for name in PERIODIC}
        while True:
            now = time.monotonic()
            for name, entry in PERIODIC.items():
                if next_run[name] <= now:
                    entry.task.enqueue()
                    next_run[name] = now + entry.seconds
                    if options["verbosity"] > 1:
                        self.stdout.write(f"enqueued {name}")
            if once:
                self.stdout.write(f"Enqueued {len(PERIODIC)} periodic job(s).")
                return
            time.sleep(max(0.5, min(next_run.values(), default=now + 60) - time.monotonic()))
