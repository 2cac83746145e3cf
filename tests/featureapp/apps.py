from django.apps import AppConfig


class FeatureappConfig(AppConfig):
    name = "tests.featureapp"
    default_auto_field = "django.db.models.BigAutoField"
