"""A test module inside the app: its model gets the app's label by itself."""

import pytest
from django.db import connection, models


class Doohickey(models.Model):
    name = models.CharField(max_length=10)


@pytest.mark.django_db
@pytest.mark.automigrated("hooksapp.Doohickey")
def test_model_with_the_label_of_its_app():
    assert Doohickey._meta.app_label == "hooksapp"
    assert "hooksapp_doohickey" in connection.introspection.table_names()
