"""A django-tenants project (tests/test_django_tenants.py): shared apps in
``public``, tenant apps in one schema per customer, on the database
TENANTS_DATABASE_URL names. SHOP_CHANGE=1: the tenant app's models with one
change (a new nullable column), as a developer would have them next.
TENANT_TYPES_MODE=1: django-tenants' multi-type tenants, ``shop`` tenants
with the tenant apps, ``plain`` ones with contenttypes and auth only (the
type is the tenant row's ``type``)."""

import os

import dj_database_url

SECRET_KEY = "tenants-project-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SHARED_APPS = [
    "django_tenants",
    "tests.tenants_project.customers",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "automigrate_cmd",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "tests.tenants_project.shop",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
if os.environ.get("TENANT_TYPES_MODE") == "1":
    HAS_MULTI_TYPE_TENANTS = True
    MULTI_TYPE_DATABASE_FIELD = "type"
    TENANT_TYPES = {
        "public": {"APPS": SHARED_APPS, "URLCONF": "tests.tenants_project.urls"},
        "shop": {"APPS": TENANT_APPS, "URLCONF": "tests.tenants_project.urls"},
        "plain": {"APPS": TENANT_APPS[:2], "URLCONF": "tests.tenants_project.urls"},
    }
TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"

DATABASES = {"default": dj_database_url.parse(os.environ["TENANTS_DATABASE_URL"])}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
