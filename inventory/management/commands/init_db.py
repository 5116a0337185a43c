"""Idempotent set-up after ``migrate``: cache table, default environments, admin account."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from audit.context import system_context
from inventory.services.seeding import ensure_admin_account, ensure_default_environments


class Command(BaseCommand):
    help = (
        "Prepare the database after migrate: the cache table, the four default environments "
        "(only while there are none) and the admin account from ADMIN_USERNAME / ADMIN_PASSWORD "
        "(admin / admin123 outside production). Safe to run any number of times."
    )

    def handle(self, *args, **options):
        call_command("createcachetable", verbosity=0)
        with system_context():
            created = ensure_default_environments()
            self.stdout.write(f"Environments: {created} created." if created else "Environments: already present.")
            self._admin_account()

    def _admin_account(self):
        username, password = settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
        if not username or not password:
            self.stdout.write(self.style.WARNING(
                "Admin account: skipped, set ADMIN_USERNAME and ADMIN_PASSWORD to create one."
            ))
            return
        try:
            user = ensure_admin_account(username, password)
        except ValidationError as error:
            raise CommandError(f"ADMIN_PASSWORD is too weak: {' '.join(error.messages)}") from None
        if user is None:
            self.stdout.write(f"Admin account: {username!r} already exists (password unchanged).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Admin account: {username!r} created."))
