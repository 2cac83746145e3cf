from django.apps import AppConfig


class AutomigrateConfig(AppConfig):
    name = "automigrate_cmd"
    verbose_name = "automigrate"
