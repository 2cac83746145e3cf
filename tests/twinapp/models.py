from django.db import models


class Item(models.Model):
    """Shares its name with ``otherapp.Item``."""

    label = models.CharField(max_length=50)
