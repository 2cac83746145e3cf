"""Models that exercise model selection: proxies, unmanaged, swapped and
router-restricted models, a name shared with another app, and references
into the example app from outside it."""

from django.db import models


class Item(models.Model):
    """Shares its name with ``twinapp.Item``: a bare ``Item`` is ambiguous."""

    name = models.CharField(max_length=50)


class ItemProxy(Item):
    class Meta:
        proxy = True


class Legacy(models.Model):
    """A table someone else owns; automigrate must never drop it."""

    name = models.CharField(max_length=50)

    class Meta:
        managed = False
        db_table = "otherapp_legacy"


class Gadget(models.Model):
    """Swapped for ``CustomGadget`` by the OTHERAPP_GADGET_MODEL setting."""

    name = models.CharField(max_length=50)

    class Meta:
        swappable = "OTHERAPP_GADGET_MODEL"


class CustomGadget(models.Model):
    name = models.CharField(max_length=50)


class OtherOnly(models.Model):
    """The test router allows this model only on the ``other`` database."""

    name = models.CharField(max_length=50)


class Attachment(models.Model):
    """References the example app from outside it."""

    todo = models.ForeignKey("todolist.Todo", models.CASCADE, null=True, related_name="+")
    name = models.CharField(max_length=50)
