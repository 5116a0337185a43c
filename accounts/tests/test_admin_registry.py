import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User


@pytest.mark.django_db
def test_roles_replace_groups_and_token_tables_stay_out_of_the_admin():
    registry = admin.site._registry
    assert User in registry
    for model in (Group, BlacklistedToken, OutstandingToken):
        assert model not in registry
