"""`make run`'s final banner names the admin login again (issue 15): run_demo's `admin_login`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.http import HttpRequest

from channelhub.management.commands.run_demo import admin_login

pytestmark = pytest.mark.django_db


def test_with_no_admin_yet_the_banner_has_a_login_that_works(django_user_model):
    line = admin_login()
    found = re.fullmatch(r"Admin login \(created just now\): username '(\w+)', password '(.+)'", line)
    assert found, line
    username, password = found.groups()
    assert authenticate(HttpRequest(), username=username, password=password) is not None
    assert admin_login().startswith("Admin login: username 'admin'")  # the next start: no second one
    assert django_user_model.objects.filter(is_superuser=True).count() == 1


def test_a_login_made_by_ensure_admin_is_named_with_how_to_reset_it(django_user_model):
    call_command("ensure_admin", stdout=StringIO())  # what `make run` does before run_demo
    line = admin_login()
    assert "username 'admin'" in line and "'Admin login created' above" in line
    assert "python manage.py changepassword admin" in line
    assert "password '" not in line  # only its hash is stored


def test_an_inactive_admin_is_not_offered(django_user_model):
    django_user_model.objects.create_superuser("old", "", "pw", is_active=False)
    assert "createsuperuser" in admin_login()
