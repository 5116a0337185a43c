"""A realistic demo fleet, the same for the same --seed, written in bulk."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.context import system_context
from inventory.models import Server
from inventory.services.seeding import DEMO_PASSWORD, DEMO_USERS, SMALL_FLEET, FleetSize, seed_fleet


class Command(BaseCommand):
    help = (
        "Add a demo fleet: datacenters, servers, containers (two port mappings each), services, "
        "GPUs (some held, with assignment history) and demo users. The same --seed gives the same fleet."
    )

    def add_arguments(self, parser):
        for name in FleetSize.LIMITS:
            parser.add_argument(
                f"--{name.replace('_', '-')}", dest=name, type=int, default=getattr(SMALL_FLEET, name),
                metavar="N", help=f"default {getattr(SMALL_FLEET, name)}",
            )
        parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the inventory already has servers",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Server.objects.exists():
            self.stdout.write("The inventory already has servers: no demo data added.")
            return
        size = FleetSize(**{name: options[name] for name in FleetSize.LIMITS})
        problems = size.problems()
        if problems:
            raise CommandError(" ".join(problems))
        started = time.perf_counter()
        with system_context():
            counts = seed_fleet(size, seed=options["seed"])
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary} in {time.perf_counter() - started:.1f}s."))
        password = "none (production)" if settings.IS_PRODUCTION else DEMO_PASSWORD
        self.stdout.write(f"Demo users: {', '.join(u for u, _ in DEMO_USERS)}; password: {password}.")
