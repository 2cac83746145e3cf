"""Database-level on_delete (Django 6.1+): the foreign key constraint itself
carries ON DELETE CASCADE / SET NULL / SET DEFAULT. Installed by
tests.settings only on Django 6.1 and later."""

from django.db import models


class Parent(models.Model):
    name = models.CharField(max_length=20)


class Child(models.Model):
    cascade = models.ForeignKey(Parent, models.DB_CASCADE, related_name="+")
    set_null = models.ForeignKey(Parent, models.DB_SET_NULL, null=True, related_name="+")


class DefaultingChild(models.Model):
    parent = models.ForeignKey(
        Parent, models.DB_SET_DEFAULT, db_default=1, null=True, related_name="+"
    )

    class Meta:
        required_db_features = {"supports_on_delete_db_default"}
