from django.core.management.base import BaseCommand, CommandError

from replenish.core.audit import verify_chain
from replenish.core.checkpoints import audit_checkpoint_write, checkpoint_path, verify_checkpoints


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every link's keyed hash (AUDIT_HMAC_KEY), then the chain against the checkpoints "
        "kept outside the database (AUDIT_CHECKPOINT_DIR); name the first problem and exit non-zero on tampering. "
        "--checkpoint then appends today's head to the checkpoint file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="after a clean verification, checkpoint the current head",
        )

    def handle(self, *args, **options) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(f"Audit chain BROKEN after {checked} good events: {broken}")
        report = verify_checkpoints(events=checked)
        if report.problem:
            raise CommandError(f"Audit chain BROKEN: {checked} links verify, but {report.problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
        if report.last is not None:
            self.stdout.write(
                f"Consistent with {report.checkpoints} checkpoint(s) in {checkpoint_path()}; the latest, of "
                f"{report.last.day}, at event #{report.last.sequence}."
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"No checkpoint in {checkpoint_path()} yet: a truncation cannot be detected before the first "
                    "(written daily by Celery beat, or by verify_audit --checkpoint)."
                )
            )
        if options["checkpoint"]:
            point = audit_checkpoint_write()
            self.stdout.write(f"Checkpoint {point.n} written: event #{point.sequence} of {point.day}.")
