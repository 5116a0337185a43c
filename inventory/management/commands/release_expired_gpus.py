"""Release every GPU whose assignment has expired (API.md §5). Idempotent; run it
periodically (cron, systemd timer). Audited as action ``release`` by user ``system``."""
from django.core.management.base import BaseCommand

from audit.context import system_context
from inventory.services.gpu_assignment import release_expired_gpus


class Command(BaseCommand):
    help = "Release GPUs whose assignment expired (release_reason 'expired')."

    def handle(self, *args, **options):
        with system_context():
            released = release_expired_gpus()
        self.stdout.write(f"Released {len(released)} expired GPU assignment(s).")
        if released and options["verbosity"] > 1:
            self.stdout.write("GPU ids: " + ", ".join(map(str, released)))
