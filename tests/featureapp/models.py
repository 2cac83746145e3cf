"""Models that use every schema feature Django can express.

They exist to be built twice, once by ``migrate`` from
``migrations/0001_initial.py`` and once by ``automigrate`` from the models
alone, and to compare the two schemas (see ``automigrate_cmd.snapshot``).

Every model must be creatable on SQLite, PostgreSQL and MariaDB. Where a
feature does not exist on a backend, Django's own behaviour decides what
happens, as it would in a real project:

- unsupported indexes and constraints are skipped (expression indexes and
  expression/partial unique constraints on MariaDB; ``nulls_distinct``,
  ``deferrable`` and ``include`` unique constraints outside PostgreSQL),
- unsupported index parts are dropped (``condition`` on MariaDB, ``include``
  and ``opclasses`` outside PostgreSQL),
- comments are not written on SQLite,
- whole models are skipped through ``required_db_features`` or
  ``required_db_vendor``.

``manage.py check`` reports these as warnings, which is expected here.
"""

# Test models with no behaviour: a __str__ on each would be noise.
# ruff: noqa: DJ008

import uuid
from decimal import Decimal

from django.contrib.postgres.indexes import BrinIndex, GinIndex, HashIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Now, Upper

from .collation import feature_collation

# --- Field types -----------------------------------------------------------


class AllFields(models.Model):
    """One column of every concrete field type (relations are further down)."""

    id = models.AutoField(primary_key=True)
    big_integer = models.BigIntegerField()
    integer = models.IntegerField()
    small_integer = models.SmallIntegerField()
    positive_big_integer = models.PositiveBigIntegerField()
    positive_integer = models.PositiveIntegerField()
    positive_small_integer = models.PositiveSmallIntegerField()
    boolean = models.BooleanField(default=False)
    nullable_boolean = models.BooleanField(null=True)
    char = models.CharField(max_length=200)
    text = models.TextField()
    slug = models.SlugField()
    email = models.EmailField()
    url = models.URLField()
    uuid = models.UUIDField(default=uuid.uuid4)
    ip_address = models.GenericIPAddressField(null=True)
    decimal = models.DecimalField(max_digits=10, decimal_places=2)
    float = models.FloatField()
    date = models.DateField()
    datetime = models.DateTimeField()
    time = models.TimeField()
    duration = models.DurationField()
    binary = models.BinaryField()
    json = models.JSONField(default=dict)
    nullable_json = models.JSONField(null=True)
    file = models.FileField(upload_to="uploads/")
    file_path = models.FilePathField(path="/tmp")


class SmallAutoPk(models.Model):
    id = models.SmallAutoField(primary_key=True)
    name = models.CharField(max_length=20)


class BigAutoPk(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=20)


class UuidPk(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=20)


class Ticket(models.Model):
    """Foreign keys take the type of the primary key they point at."""

    small = models.ForeignKey(SmallAutoPk, on_delete=models.CASCADE)
    token = models.ForeignKey(UuidPk, null=True, blank=True, on_delete=models.SET_NULL)


class UnlimitedChar(models.Model):
    """A CharField without max_length: varchar with no length (not on MariaDB)."""

    name = models.CharField()

    class Meta:
        required_db_features = {"supports_unlimited_charfield"}


class Currency(models.Model):
    """A CharField primary key (PostgreSQL adds a ``_like`` index for it)."""

    code = models.CharField(max_length=3, primary_key=True)
    name = models.CharField(max_length=50)


# --- Field options ---------------------------------------------------------


class FieldOptions(models.Model):
    name = models.CharField(max_length=100, db_comment="The display name")
    code = models.CharField(max_length=20, unique=True)
    rank = models.IntegerField(db_index=True, default=0)
    nickname = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001
    label = models.CharField(max_length=50, db_collation=feature_collation())
    notes = models.TextField(blank=True, db_collation=feature_collation())
    # Database defaults: literals of several types and a function.
    status = models.CharField(max_length=20, db_default="draft")
    count = models.IntegerField(db_default=0)
    ratio = models.DecimalField(max_digits=5, decimal_places=2, db_default=Decimal("1.50"))
    enabled = models.BooleanField(db_default=True)
    created = models.DateTimeField(db_default=Now())
    both_defaults = models.IntegerField(default=1, db_default=2)
    # Stored generated columns (virtual ones are in VirtualGenerated).
    total = models.GeneratedField(
        expression=F("rank") + F("count"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    name_upper = models.GeneratedField(
        expression=Upper("name"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )

    class Meta:
        db_table_comment = "Every per-field option"
        unique_together = [("name", "rank")]


class VirtualGenerated(models.Model):
    """PostgreSQL (before 18) has no virtual generated columns."""

    width = models.IntegerField()
    height = models.IntegerField()
    area = models.GeneratedField(
        expression=F("width") * F("height"),
        output_field=models.IntegerField(),
        db_persist=False,
    )

    class Meta:
        required_db_features = {"supports_virtual_generated_columns"}


# --- Indexes and constraints -----------------------------------------------


class Indexed(models.Model):
    name = models.CharField(max_length=100)
    rank = models.IntegerField()
    tag = models.CharField(max_length=50)

    class Meta:
        indexes = [
            models.Index(fields=["name"], name="fa_ix_plain"),
            models.Index(fields=["name", "rank"], name="fa_ix_multi"),
            models.Index(fields=["-rank"], name="fa_ix_desc"),
            models.Index(fields=["tag", "-rank"], name="fa_ix_mixed_order"),
            models.Index(Lower("name"), name="fa_ix_lower"),
            models.Index(Lower("tag"), F("rank").desc(), name="fa_ix_expr_desc"),
            models.Index(fields=["rank"], condition=Q(rank__gt=10), name="fa_ix_partial"),
            models.Index(fields=["tag"], include=["rank"], name="fa_ix_include"),
            models.Index(fields=["tag"], opclasses=["varchar_pattern_ops"], name="fa_ix_opclass"),
        ]


class PgIndexed(models.Model):
    """Index methods other than btree exist only on PostgreSQL."""

    data = models.JSONField(default=dict)
    created = models.DateTimeField()
    name = models.CharField(max_length=50)

    class Meta:
        required_db_vendor = "postgresql"
        indexes = [
            GinIndex(fields=["data"], name="fa_pg_gin"),
            BrinIndex(fields=["created"], name="fa_pg_brin"),
            HashIndex(fields=["name"], name="fa_pg_hash"),
        ]


class Constrained(models.Model):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20, null=True)  # noqa: DJ001
    rank = models.IntegerField()
    active = models.BooleanField(default=True)
    serial = models.IntegerField()
    starts = models.DateField()
    ends = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rank__gte=0), name="fa_ck_rank"),
            models.CheckConstraint(condition=Q(ends__gte=F("starts")), name="fa_ck_dates"),
            models.CheckConstraint(
                condition=Q(code__isnull=True) | ~Q(code=""), name="fa_ck_code_not_empty"
            ),
            models.UniqueConstraint(fields=["name", "rank"], name="fa_uq_fields"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(active=True), name="fa_uq_partial"
            ),
            models.UniqueConstraint(Lower("name"), "rank", name="fa_uq_expr"),
            models.UniqueConstraint(fields=["code"], nulls_distinct=False, name="fa_uq_nulls"),
            models.UniqueConstraint(
                fields=["serial"],
                deferrable=models.Deferrable.DEFERRED,
                name="fa_uq_deferred",
            ),
            models.UniqueConstraint(fields=["rank"], include=["name"], name="fa_uq_include"),
        ]


# --- Relations -------------------------------------------------------------


class Node(models.Model):
    """A self-referential foreign key."""

    name = models.CharField(max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )


class Chicken(models.Model):
    """Chicken and Egg reference each other: migrate must add one FK later."""

    name = models.CharField(max_length=50)
    favourite_egg = models.ForeignKey(
        "Egg", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Egg(models.Model):
    laid_by = models.ForeignKey(
        Chicken, null=True, blank=True, on_delete=models.SET_NULL, related_name="eggs"
    )


class Country(models.Model):
    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=50)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT)


class City(models.Model):
    """A foreign key to a unique non-primary-key column, with its own column name."""

    name = models.CharField(max_length=50)
    country = models.ForeignKey(
        Country, to_field="code", db_column="country_code", on_delete=models.PROTECT
    )


class CountryProfile(models.Model):
    """A OneToOneField as primary key, and an ordinary nullable one."""

    country = models.OneToOneField(Country, primary_key=True, on_delete=models.CASCADE)
    capital = models.OneToOneField(
        City, null=True, blank=True, on_delete=models.SET_NULL, related_name="capital_of"
    )
    motto = models.CharField(max_length=100, blank=True)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class Article(models.Model):
    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag, related_name="articles")
    editors = models.ManyToManyField(Node, through="Authorship", related_name="edited_articles")
    # No database constraint, so an index but no foreign key in the schema.
    loose_tag = models.ForeignKey(
        Tag,
        null=True,
        blank=True,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )


class Authorship(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    editor = models.ForeignKey(Node, on_delete=models.CASCADE)
    role = models.CharField(max_length=20, default="author")

    class Meta:
        unique_together = [("article", "editor")]


class Place(models.Model):
    name = models.CharField(max_length=50)


class Restaurant(Place):
    """Multi-table inheritance: the primary key is a OneToOneField to Place."""

    serves_pizza = models.BooleanField(default=False)


# --- Keys and names --------------------------------------------------------


class Release(models.Model):
    """A composite primary key (Django 5.2+)."""

    pk = models.CompositePrimaryKey("product", "version")
    product = models.CharField(max_length=50)
    version = models.IntegerField()
    notes = models.TextField(blank=True)


class MixedCase(models.Model):
    """Table and column names that must be quoted to keep their case."""

    display_name = models.CharField(max_length=50, db_column="DisplayName")

    class Meta:
        db_table = "featureapp_MixedCase"
