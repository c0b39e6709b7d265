"""Greek done right (issue 12 §7): dates, times, school names and every label, in both languages.

Dates print through Django's locale formats (kleidi/formats: genitive Greek
months), always in Europe/Athens; a school's name follows the page's
language; every string in the source is in its app's Greek catalogue; the
console's pages in Greek carry none of the English words they used to.
"""

import contextlib
import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from kleidi.accounts import services
from kleidi.accounts.models import Account
from kleidi.audit.models import AuditEvent
from kleidi.audit.services import record
from kleidi.notifications.models import OutboxMessage
from kleidi.notifications.services import render_message
from kleidi.people.models import School
from tests.conftest import require_service

SRC = Path(__file__).resolve().parents[1] / "src" / "kleidi"
CATALOGUES = sorted(SRC.glob("**/locale/el/LC_MESSAGES/django.po"))
ATHENS = timezone.get_default_timezone()


# --------------------------------------------------------------------------
# Dates in emails: the language of each part, Europe/Athens


def test_i12_expiry_reminder_date_is_genitive_in_greek_and_plain_in_english(demo, account):
    target = account("gpapadopoulos")
    Account.objects.filter(pk=target.pk).update(
        expires_at=services.end_of_day(dt.date(2027, 12, 1)), last_expiry_reminder_days=None
    )
    assert ("gpapadopoulos", 30) in services.send_expiry_reminders(today=dt.date(2027, 11, 1))
    message = OutboxMessage.objects.get(template="expiry_reminder")
    greek, _, english = message.body_text.partition("-- English --")
    assert "λήγει στις 1 Δεκεμβρίου 2027." in greek
    assert "Δεκέμβριος" not in greek
    assert "expires on 1 December 2027." in english
    supervisor = OutboxMessage.objects.get(template="expiry_reminder_supervisor")
    assert "λήγει στις 1 Δεκεμβρίου 2027." in supervisor.body_text
    assert "expires on 1 December 2027." in supervisor.body_text


def test_i12_email_times_are_athens_time_in_each_language():
    # 22:30 UTC on 1 December is already 2 December in Athens (UTC+2).
    moment = dt.datetime(2027, 12, 1, 22, 30, tzinfo=dt.UTC)
    _, text, _ = render_message(
        "reset", {"username": "el21042", "requested_at": moment, "minutes": 60, "link": "-"}
    )
    assert "στις 2 Δεκεμβρίου 2027, 00:30." in text
    assert "on 2 December 2027, 00:30." in text
    assert "22:30" not in text


def test_i12_graduation_and_renewal_dates_use_the_locale_formats():
    day = dt.date(2028, 3, 5)
    _, text, _ = render_message(
        "renewal", {"account": Account(username="el21042"), "expiry": day, "base_url": ""}
    )
    assert "Νέα ημερομηνία λήξης: 5 Μαρτίου 2028" in text
    assert "New expiry date: 5 March 2028" in text


def test_i12_no_hand_written_date_format_in_templates():
    """Every |date and |time names a locale format: no "2027-12-01", no «1 Δεκέμβριος»."""
    literal = re.compile(r"\|(?:date|time):\"(?![A-Z_]+_FORMAT\")")
    found = [
        f"{path.relative_to(SRC)}: {line.strip()}"
        for path in SRC.glob("**/templates/**/*")
        if path.is_file() and path.suffix in {".html", ".txt"}
        for line in path.read_text(encoding="utf-8").splitlines()
        if literal.search(line)
    ]
    # The sheets pages are helper "sheets"'s (issue 12 §5, §6); they are reported there.
    assert [f for f in found if not f.startswith("sheets/")] == []


# --------------------------------------------------------------------------
# The audit log: one timezone


def test_i12_audit_page_title_time_equals_its_field_time_in_athens(demo, client, account):
    event = record("account.disabled", actor=account("helpdesk"), target=account("el21042"))
    with translation.override("el"):
        athens = date_format(timezone.localtime(event.created_at, ATHENS), "DATETIME_FORMAT")
        utc = date_format(event.created_at.astimezone(dt.UTC), "DATETIME_FORMAT")
    assert athens != utc
    assert str(event).startswith(athens)
    client.force_login(account("helpdesk"))
    page = client.get(f"/console/audit/auditevent/{event.pk}/change/").content.decode()
    (title,) = re.findall(r"<title>(.*?)</title>", page, re.S)
    assert html.unescape(title).startswith(athens)
    (heading,) = re.findall(r"<h2>(.*?)</h2>", page, re.S)
    assert html.unescape(heading).strip().startswith(athens)
    field = re.search(r'field-created_at.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert html.unescape(field.group(1)).strip() == athens
    listing = client.get("/console/audit/auditevent/").content.decode()
    assert athens in html.unescape(listing)
    assert utc not in html.unescape(page) + html.unescape(listing)


def test_i12_audit_title_in_english_is_athens_too(demo, account):
    event = record("account.enabled", target=account("el21042"))
    with translation.override("en"):
        expected = date_format(timezone.localtime(event.created_at, ATHENS), "DATETIME_FORMAT")
        assert str(event).startswith(expected)
    assert AuditEvent.objects.get(pk=event.pk).created_at == event.created_at


# --------------------------------------------------------------------------
# School names per language


def test_i12_school_display_name_follows_the_language(school_el):
    with translation.override("el"):
        assert school_el.display_name == school_el.name_el
        assert str(school_el) == f"el — {school_el.name_el}"
    with translation.override("en"):
        assert school_el.display_name == "School of Electrical and Computer Engineering"
        assert str(school_el) == "el — School of Electrical and Computer Engineering"


def test_i12_a_school_without_an_english_name_shows_the_greek_one():
    school = School(code="x", name_el="Σχολή Χ", name_en="")
    with translation.override("en"):
        assert school.display_name == "Σχολή Χ"


def test_i12_member_page_shows_the_school_in_the_page_language(demo, client, account):
    client.force_login(account("gpapadopoulos"))
    greek = client.get("/account/").content.decode()
    assert "Σχολή Ηλεκτρολόγων Μηχανικών" in greek
    client.cookies["django_language"] = "en"
    english = client.get("/account/").content.decode()
    assert "School of Electrical and Computer Engineering" in english
    assert "Σχολή Ηλεκτρολόγων Μηχανικών" not in english


def test_i12_console_school_choices_follow_the_language(demo, client, account):
    client.force_login(account("helpdesk"))
    page = client.get("/console/accounts/account/").content.decode()
    assert "el — Σχολή Ηλεκτρολόγων" in page
    client.cookies["django_language"] = "en"
    page = client.get("/console/accounts/account/").content.decode()
    assert "el — School of Electrical and Computer Engineering" in page


# --------------------------------------------------------------------------
# Catalogues: nothing untranslated, nothing fuzzy, nothing missing


def po_entries(po: Path):
    """(msgctxt, msgid, [msgstr...], flags) of each entry that is not obsolete."""
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[key] += line[1:-1]
                continue
            key, _, value = line.partition(" ")
            fields[key] = value[1:-1]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        strings = [v for k, v in fields.items() if k.startswith("msgstr")]
        yield fields.get("msgctxt", ""), fields["msgid"], strings, flags


def test_i12_every_catalogue_is_checked():
    names = {str(po.relative_to(SRC)).split("/")[0] for po in CATALOGUES}
    assert {"locale", "console", "credentials", "portal", "people", "accounts"} <= names


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)).split("/")[0])
def test_i12_no_empty_or_fuzzy_msgstr(po):
    for context, msgid, strings, flags in po_entries(po):
        if msgid == "":
            continue  # the header
        assert "fuzzy" not in flags, (po, msgid)
        assert strings and all(strings), f"untranslated in {po}: {context} {msgid!r}"


APPS = sorted({po.relative_to(SRC).parts[0] for po in CATALOGUES} - {"locale"})


@pytest.mark.parametrize("app", APPS)
def test_i12_every_string_in_the_source_is_in_its_catalogue(app, tmp_path):
    """What makemessages would extract from the app is all in its committed catalogue."""
    require_service(bool(shutil.which("xgettext")), "no xgettext (gettext)")
    copy = tmp_path / app
    shutil.copytree(SRC / app, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    subprocess.run(
        ["django-admin", "makemessages", "-l", "el", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = {(c, m) for c, m, _, _ in po_entries(copy / "locale/el/LC_MESSAGES/django.po")}
    committed = {(c, m) for c, m, _, _ in po_entries(SRC / app / "locale/el/LC_MESSAGES/django.po")}
    missing = sorted(extracted - committed)
    assert missing == [], f"run makemessages in src/kleidi/{app} and translate: {missing}"


# --------------------------------------------------------------------------
# The console in Greek: no English left


ENGLISH = [
    "Skip to main content",
    "Toggle theme",
    "Breadcrumbs",
    "Sidebar",
    "Start typing to filter",
    "Select an option",
    "Select all objects",
    "Show counts",
    "Pagination",
    "Add link",
    "Model name",
    ">Run<",
    "Filter by",
    ">School<",
    "School:",
    "Account:",
    "Person:",
    "Affiliation:",
    ">system<",
    "Search",
    "Change",
    "Save",
    "History",
    "Home",
]


def visible_text(page: str) -> str:
    """The text a reader meets: content, and labels read aloud (aria-label, title, placeholder)."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->", " ", page)
    labels = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    text = re.sub(r"(?s)<[^>]+>", lambda m: "<>" if m.group(0) else "", page)
    return html.unescape(" ".join([text, *(f">{s}<" for s in labels + options)]))


def console_pages(helpdesk_client) -> list[str]:
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    pages = ["/console/"]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(_request(helpdesk_client)):
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{name}_change", args=[first.pk]))
        if model_admin.has_add_permission(_request(helpdesk_client)):
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse(f"{name}_add"))
    return pages


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/console/")
    request.user = Account.objects.get(username="helpdesk")
    return request


def test_i12_console_pages_in_greek_have_no_english_labels(demo, client, account):
    client.force_login(account("helpdesk"))
    for url in console_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        left = [word for word in ENGLISH if word in text]
        assert left == [], f"{url}: {left}"


def test_i12_member_pages_in_greek_have_no_english_labels(demo, client, account):
    client.force_login(account("gpapadopoulos"))
    for url in ["/account/", "/password/change/"]:
        text = visible_text(client.get(url).content.decode())
        left = [w for w in ["Show password", "Your password", "Expires", "School"] if w in text]
        assert left == [], f"{url}: {left}"
