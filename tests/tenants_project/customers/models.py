from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    created_on = models.DateField(auto_now_add=True)
    # Which apps its schema holds, where the project has tenant types
    # (TENANT_TYPES_MODE=1 in the settings).
    type = models.CharField(max_length=100, default="shop")
    # The tests make the schemas themselves.
    auto_create_schema = False


class Domain(DomainMixin):
    pass
