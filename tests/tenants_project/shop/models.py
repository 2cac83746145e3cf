import os

from django.conf import settings
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(max_length=200, db_index=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    tags = models.ManyToManyField("Tag", blank=True)
    if os.environ.get("SHOP_CHANGE") == "1":
        sku = models.CharField(max_length=40, null=True)

    class Meta:
        indexes = [models.Index(fields=["category", "price"], name="shop_product_cat_price")]


class Tag(models.Model):
    label = models.SlugField(unique=True)


class Order(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        unique_together = [("buyer", "product")]
