"""Settings of the real-app corpus (tests/test_real_apps.py): the example
project plus popular third-party apps with long migration histories, pinned
in requirements-realapps.txt. ``DATABASE_URL`` picks the backend as for the
rest of the suite; the corpus harness points it at databases of its own."""

from importlib.util import find_spec

from todo_project.settings import *  # noqa: F403
from todo_project.settings import INSTALLED_APPS, MIDDLEWARE

# django-celery-beat 2.9.0 requires Django < 6.1: installed on the 5.2 leg only.
_CELERY_BEAT = ["django_celery_beat"] if find_spec("django_celery_beat") else []

INSTALLED_APPS = [
    *INSTALLED_APPS,
    # wagtail's PostgreSQL search indexes are GIN: Django 6 requires this app
    # for them (postgres.E005), as tests/settings.py says.
    "django.contrib.postgres",
    "django.contrib.sites",
    # wagtail and what it needs
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # accounts and API auth
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "oauth2_provider",
    "rest_framework",
    "knox",
    "social_django",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_hotp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    # files, history, settings, tasks
    "easy_thumbnails",
    "filer",
    "polymorphic",
    "reversion",
    "constance",
    "django_celery_results",
    *_CELERY_BEAT,
]

MIDDLEWARE = [
    *MIDDLEWARE,
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

SITE_ID = 1
WAGTAIL_SITE_NAME = "corpus"
WAGTAILADMIN_BASE_URL = "http://localhost"
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
CONSTANCE_CONFIG = {"GREETING": ("hello", "a setting kept in the database")}
