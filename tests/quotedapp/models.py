"""Identifiers that need quoting everywhere: a table name with a space and a
dash, columns named after reserved words, mixed case and spaces."""

from django.db import models
from django.db.models import Q


class Weird(models.Model):
    order = models.IntegerField(db_column="order")
    mixed = models.CharField(max_length=20, db_column="Mixed Case")
    select = models.CharField(max_length=20, db_column="select", db_index=True)
    span = models.IntegerField(db_column="from-to", default=0)
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, db_column="Parent Id", related_name="+"
    )

    class Meta:
        db_table = "Weird Table-Name"
        indexes = [models.Index(fields=["order", "mixed"], name="Weird Order Mixed")]
        constraints = [
            models.CheckConstraint(condition=Q(order__gte=0), name="Order Not Negative"),
            models.UniqueConstraint(fields=["select", "span"], name="Unique Select Span"),
        ]
