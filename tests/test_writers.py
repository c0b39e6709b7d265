"""The one-writer-per-table check (tests/writers.py) catches what it is for.

Every other test runs under the check; these prove it can fail: a Kleidi
module outside the owner's services, another app's services, and Django's
admin with no Kleidi code in between are each caught. And every audit event
is built by `audit.services.build_event` (its secret scrubber), which a scan
of the source checks.
"""

import ast
import types
from pathlib import Path

from django.contrib import admin
from django.test import RequestFactory

from kleidi.people.models import Person
from kleidi.people.services import create_person
from tests import writers

SRC = Path(__file__).resolve().parent.parent / "src" / "kleidi"


def module_named(name: str) -> types.ModuleType:
    """A module that writes a Person three ways, as if it were Kleidi's module `name`."""
    module = types.ModuleType(name)
    code = """
from kleidi.people.models import Person

def write():
    person = Person.objects.create(surname="Ρόγκας", given_name="Νίκος")
    Person.objects.filter(pk=person.pk).update(mobile="+306900000000")
    Person.objects.filter(pk=person.pk).delete()
"""
    exec(compile(code, f"{name.replace('.', '/')}.py", "exec"), module.__dict__)  # noqa: S102
    return module


def test_r2_person_written_outside_people_services_is_caught(db):
    with writers.expect_violations() as caught:
        module_named("kleidi.sheets.rogue").write()
    assert [str(v) for v in caught] == [
        "kleidi.sheets.rogue writes people_person (INSERT)",
        "kleidi.sheets.rogue writes people_person (UPDATE)",
        "kleidi.sheets.rogue writes people_person (DELETE)",
    ]


def test_r2_another_apps_services_are_a_second_writer_too(db):
    with writers.expect_violations() as caught:
        module_named("kleidi.accounts.services").write()
    assert {v.writer for v in caught} == {"kleidi.accounts.services"}
    assert len(caught) == 3


def test_r2_the_owners_services_and_migrations_may_write(db):
    with writers.expect_violations() as caught:
        module_named("kleidi.people.services").write()
        module_named("kleidi.people.migrations.0099_backfill").write()
        create_person({"surname": "Παπαδάκη", "given_name": "Ελένη"})
    assert caught == []


def test_r2_djangos_admin_saving_a_kleidi_model_is_a_second_writer(db):
    person = Person.objects.create(surname="Αδμίνη", given_name="Άννα")
    person.mobile = "+306911111111"
    plain = admin.ModelAdmin(Person, admin.AdminSite())
    with writers.expect_violations() as caught:
        plain.save_model(RequestFactory().post("/"), person, form=None, change=True)
    assert [str(v) for v in caught] == [
        "django.contrib.admin.options writes people_person (UPDATE)"
    ]


def test_r2_a_tests_own_data_is_not_a_violation(db):
    with writers.expect_violations() as caught:
        Person.objects.create(surname="Δοκιμή", given_name="Δήμητρα")
    assert caught == []


def audit_events_built_by_hand(source: str) -> list[int]:
    """Line numbers of `AuditEvent(...)` calls: only build_event may construct one."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "AuditEvent"
    ]


def test_r29_every_audit_event_is_built_by_build_event():
    found = {
        str(path.relative_to(SRC)): lines
        for path in SRC.rglob("*.py")
        if path != SRC / "audit" / "services.py"
        and (lines := audit_events_built_by_hand(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_r29_the_scan_finds_an_event_built_by_hand():
    source = "from kleidi.audit.models import AuditEvent\nAuditEvent(action='x', details={})\n"
    assert audit_events_built_by_hand(source) == [2]
