"""Compiled reads rely on private Django and DRF attributes (itam.api.compiled.internals):
an upgrade that changes one fails here, naming it."""
import re
from pathlib import Path

import django
import pytest
import rest_framework

from inventory.models import Server
from itam.api.compiled import internals

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


def test_the_private_attributes_compiled_reads_use_are_as_expected(db):
    queryset = Server.objects.with_counts().prefetch_related("containers")
    assert internals.problems(queryset) == []


def test_a_changed_attribute_is_named(db, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    original = SQLCompiler.pre_sql_setup

    def renamed(self, *args, **kwargs):  # as if an upgrade renamed the attribute
        result = original(self, *args, **kwargs)
        self.has_extra_columns = self.__dict__.pop("has_extra_select")
        return result

    monkeypatch.setattr(SQLCompiler, "pre_sql_setup", renamed)
    found = internals.problems(Server.objects.with_counts())
    assert found == ["SQLCompiler.has_extra_select is gone (statements)"]


@pytest.mark.parametrize("package, module", [("Django", django), ("djangorestframework", rest_framework)])
def test_the_versions_these_were_checked_on_are_pinned(package, module):
    pinned = re.search(rf"^{package}==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned, f"{package} must be pinned to an exact version: compiled reads use its internals"
    assert module.__version__ == pinned.group(1)
