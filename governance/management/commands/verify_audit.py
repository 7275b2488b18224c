from django.core.management.base import BaseCommand, CommandError

from replenish.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first broken link and exit non-zero on tampering."

    def handle(self, *args, **options) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(f"Audit chain BROKEN after {checked} good events: {broken}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
