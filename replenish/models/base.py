"""What every ERP-mirrored model shares: source + external_id, non-negative quantities."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

NON_NEGATIVE = [MinValueValidator(0)]
POSITIVE = [MinValueValidator(1)]


def non_negative(*fields: str, name: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__gte": 0}),
            name=f"{name}_{field}_non_negative",
            violation_error_message=f"{field.replace('_', ' ')} cannot be negative.",
        )
        for field in fields
    ]


class ErpSourced(models.Model):
    source = models.CharField(max_length=32, default="erp", db_index=False)
    external_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="%(app_label)s_%(class)s_source_ext_uniq"
            )
        ]
