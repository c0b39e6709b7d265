"""Issue 12 §4–§6: the secretariat's way in, the error-first preview, the confirmation,
history never overwritten, the results file's name and formats, the polling labels."""

import io
import re
import threading
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from kleidi.accounts.models import Account
from kleidi.audit.models import AuditEvent
from kleidi.errors import message
from kleidi.notifications.models import OutboxMessage
from kleidi.sheets import reports
from kleidi.sheets.models import SheetState, SheetUpload
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db


def signed_in(actor, language: str = "el") -> Client:
    client = Client()
    client.force_login(actor)
    client.cookies["django_language"] = language
    return client


def upload(client, school, kind, data, name="sheet.xlsx"):
    response = client.post(
        reverse("sheets:index"),
        {"school": school.pk, "kind": kind, "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return SheetUpload.objects.get(pk=response["Location"].split("/")[-2])


def detail(client, sheet, **params) -> str:
    return client.get(reverse("sheets:detail", kwargs={"pk": sheet.pk}), params).content.decode()


def apply_url(sheet) -> str:
    return reverse("sheets:apply", kwargs={"pk": sheet.pk})


def error_list(page: str) -> str:
    return page[
        page.index('id="error-list"') : page.index("</section>", page.index('id="error-list"'))
    ]


# --------------------------------------------------------------------------
# §4 The secretariat's way in


def test_i12_landing_after_sign_in_by_role(client, account):
    """A secretariat lands on its sheets; the helpdesk and members on their account page."""
    for username, landing in (
        ("grammateiael", "/sheets/"),
        ("helpdesk", "/account/"),
        ("gpapadopoulos", "/account/"),
    ):
        client.force_login(account(username))
        assert client.get("/start/")["Location"] == landing, username
    client.logout()
    assert client.get("/start/")["Location"].startswith("/accounts/login/")


def test_i12_sign_in_goes_to_the_landing_and_a_safe_next_still_wins(client, account, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert settings.LOGIN_REDIRECT_URL == "/start/"
    secretariat = account("grammateiael")
    secretariat.set_password("a long passphrase for tests")
    Account.objects.filter(pk=secretariat.pk).update(password=secretariat.password)
    credentials = {"username": "grammateiael", "password": "a long passphrase for tests"}
    response = client.post("/accounts/login/", credentials, follow=True)
    assert response.redirect_chain[-1][0] == "/sheets/"
    client.logout()
    response = client.post("/accounts/login/", {**credentials, "next": "/help/"})
    assert response["Location"] == "/help/"


def test_i12_nav_link_to_sheets_only_for_staff_with_sheets(account):
    link = 'href="/sheets/" id="nav-sheets">Φύλλα γραμματείας</a>'
    assert link in signed_in(account("grammateiael")).get("/account/").content.decode()
    assert link in signed_in(account("helpdesk")).get("/account/").content.decode()
    assert link not in signed_in(account("gpapadopoulos")).get("/account/").content.decode()
    assert (
        "Secretariat sheets"
        in signed_in(account("grammateiael"), "en").get("/account/").content.decode()
    )


# --------------------------------------------------------------------------
# §5 The error-first preview


def test_i12_every_error_listed_at_the_top_with_its_cell_a_row_with_two_errors_shows_both(
    secretariat, school_el
):
    rows = [
        person_row(1),
        person_row(2, external_email="x@ntua.gr", mobile="12345"),
        person_row(3),
    ]
    sheet = upload(signed_in(secretariat), school_el, "postgraduate", xlsx(table(rows)))
    page = detail(signed_in(secretariat), sheet)
    listed = error_list(page)
    # Both errors of row 3, each with the sheet's own header, the Greek message and the code.
    email = listed[listed.index('href="#r3-external_email"') :]
    assert email.startswith('href="#r3-external_email">Γραμμή 3 · Email εκτός ΕΜΠ</a>')
    assert message("email.institutional", {"value": "x@ntua.gr"}, "el") in listed
    assert "<code>email.institutional</code>" in listed
    assert 'href="#r3-mobile">Γραμμή 3 · Κινητό τηλέφωνο</a>' in listed
    assert "<code>phone.invalid</code>" in listed
    assert listed.count("<li>") == 2 == sheet.error_count
    # Each link's target is the erroneous cell, which can take the focus.
    for anchor in ("r3-external_email", "r3-mobile"):
        cell = re.search(rf'<td class="bad"[^>]* id="{anchor}"[^>]*>', page)
        assert cell and 'tabindex="-1"' in cell.group(0)
    # The English page lists them in English.
    english = error_list(detail(signed_in(secretariat, "en"), sheet))
    assert message("email.institutional", {"value": "x@ntua.gr"}, "en") in english
    assert "Row 3 · Email εκτός ΕΜΠ" in english


def test_i12_an_error_without_a_column_of_its_own_links_to_the_rows_outcome(secretariat, school_el):
    """R18 on two rows; an error of a field the sheet has no column for goes to the outcome."""
    rows = [person_row(1), person_row(2, external_email="student1@example.com")]
    sheet = upload(signed_in(secretariat), school_el, "postgraduate", xlsx(table(rows)))
    page = detail(signed_in(secretariat), sheet)
    listed = error_list(page)
    assert listed.count("<code>row.duplicate</code>") == 2
    assert 'href="#r2-external_email"' in listed and 'href="#r3-external_email"' in listed
    for entry in sheet.result["errors"]:
        assert f'id="r{entry["row"]}-' in page


def test_i12_errors_only_toggle_hides_the_clean_rows_without_javascript(secretariat, school_el):
    rows = [person_row(1), person_row(2, mobile="12345"), person_row(3)]
    sheet = upload(signed_in(secretariat), school_el, "postgraduate", xlsx(table(rows)))
    client = signed_in(secretariat)
    everything = detail(client, sheet)
    assert 'href="?errors=1#preview-title"' in everything
    assert all(f'<th scope="row" class="row-number">{n}</th>' in everything for n in (2, 3, 4))
    only = detail(client, sheet, errors="1")
    assert '<th scope="row" class="row-number">3</th>' in only
    assert '<th scope="row" class="row-number">2</th>' not in only
    assert '<th scope="row" class="row-number">4</th>' not in only
    assert f'href="{reverse("sheets:detail", kwargs={"pk": sheet.pk})}#preview-title"' in only


def test_i12_the_preview_scrolls_in_a_keyboard_region_with_sticky_columns(secretariat, school_el):
    sheet = upload(signed_in(secretariat), school_el, "postgraduate", xlsx(table([person_row(1)])))
    page = detail(signed_in(secretariat), sheet)
    wrap = re.search(r'<div class="preview-wrap"[^>]*>', page).group(0)
    assert 'tabindex="0"' in wrap and 'role="region"' in wrap and "aria-label=" in wrap
    assert '<th scope="col" class="row-number">' in page
    assert '<th scope="col" class="outcome">' in page
    css = reports.__file__.rsplit("/", 1)[0] + "/static/sheets/sheets.css"
    with open(css, encoding="utf-8") as handle:
        rules = handle.read()
    assert re.search(r"\.row-number \{ position: sticky; left: 0;", rules)
    assert re.search(r"\.outcome \{ position: sticky; right: 0;", rules)


def test_i12_summary_before_apply_counts_creations_reactivations_and_welcomes(
    secretariat, school_el
):
    reactivated = person_row(
        1,
        username="kbakogianni",
        surname="Μπακογιάννη",
        given_name="Αικατερίνη",
        father_name="Κωνσταντίνος",
        mother_name="Ελένη",
        external_email="katerina.bakogianni@example.com",
        registration_number="03800077",
    )
    rows = [reactivated, person_row(2), person_row(3)]
    client = signed_in(secretariat)
    sheet = upload(client, school_el, "phd", xlsx(table(rows)))
    assert sheet.state == SheetState.VALID, sheet.result["errors"]
    confirm = client.get(apply_url(sheet)).content.decode()
    assert '<li id="plan-create">2 λογαριασμοί προς δημιουργία</li>' in confirm
    assert '<li id="plan-reactivate">1 λογαριασμός προς επανενεργοποίηση</li>' in confirm
    assert '<li id="plan-welcome">3 μηνύματα καλωσορίσματος' in confirm
    english = signed_in(secretariat, "en").get(apply_url(sheet)).content.decode()
    assert "2 accounts to create" in english and "1 account to reactivate" in english
    assert "3 welcome messages" in english
    assert 'name="confirm" value="1"' in confirm
    # Nothing happened yet: the confirmation page only shows.
    assert not Account.objects.filter(username__in=["ndimitriou", "nantoniou"]).exists()
    sheet.refresh_from_db()
    assert sheet.state == SheetState.VALID


def test_i12_what_was_done_reads_in_the_past_tense_once_applied(secretariat, school_el):
    """Review finding 7: the applied sheet's "What was done" says what was done, not
    what applying will do ("2 accounts to create")."""
    reactivated = person_row(
        1,
        username="kbakogianni",
        surname="Μπακογιάννη",
        given_name="Αικατερίνη",
        father_name="Κωνσταντίνος",
        mother_name="Ελένη",
        external_email="katerina.bakogianni@example.com",
        registration_number="03800077",
    )
    data = xlsx(table([reactivated, person_row(2), person_row(3)]))
    client = signed_in(secretariat)
    sheet = upload(client, school_el, "phd", data)
    before = detail(client, sheet)
    assert '<li id="plan-create">2 λογαριασμοί προς δημιουργία</li>' in before
    client.post(apply_url(sheet), {"confirm": "1"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPLIED
    greek = detail(client, sheet)
    done = greek[greek.index('id="plan"') : greek.index("</ul>", greek.index('id="plan"'))]
    assert "Τι έγινε" in greek
    assert '<li id="plan-create">2 λογαριασμοί δημιουργήθηκαν</li>' in done
    assert '<li id="plan-reactivate">1 λογαριασμός επανενεργοποιήθηκε</li>' in done
    assert '<li id="plan-welcome">3 μηνύματα καλωσορίσματος μπήκαν στην ουρά αποστολής' in done
    assert "προς " not in done
    english = detail(signed_in(secretariat, "en"), sheet)
    done = english[english.index('id="plan"') : english.index("</ul>", english.index('id="plan"'))]
    assert "2 accounts created" in done and "1 account reactivated" in done
    assert "3 welcome messages queued for sending" in done
    assert " to create" not in done and " to reactivate" not in done
    # The same sheet uploaded again: every row already done, in the past tense once applied.
    again = upload(client, school_el, "phd", data)
    assert "3 γραμμές είναι ήδη όπως λέει το φύλλο (τίποτα προς αλλαγή)" in detail(client, again)
    client.post(apply_url(again), {"confirm": "1"})
    assert "3 γραμμές ήταν ήδη όπως λέει το φύλλο (δεν άλλαξε τίποτα)" in detail(client, again)


def test_i12_an_unconfirmed_post_applies_nothing(secretariat, school_el):
    client = signed_in(secretariat)
    sheet = upload(client, school_el, "postgraduate", xlsx(table([person_row(1)])))
    response = client.post(apply_url(sheet))
    assert response.status_code == 200
    assert 'id="confirm-form"' in response.content.decode()
    response = client.post(apply_url(sheet), {"confirm": "yes please"})
    assert 'id="confirm-form"' in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == SheetState.VALID
    assert not Account.objects.filter(username="nioannou").exists()
    assert not AuditEvent.objects.filter(action="sheet.apply_started").exists()
    client.post(apply_url(sheet), {"confirm": "1"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPLIED
    assert Account.objects.filter(username="nioannou").exists()


def test_i12_the_apply_button_leads_to_the_confirmation_by_get(secretariat, school_el):
    client = signed_in(secretariat)
    sheet = upload(client, school_el, "postgraduate", xlsx(table([person_row(1)])))
    page = detail(client, sheet)
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*>\s*<button[^>]*id="apply"', page)
    assert form and form.group(1) == apply_url(sheet)


def test_i12_polling_json_gives_the_state_in_the_pages_language(secretariat, school_el):
    sheet = upload(signed_in(secretariat), school_el, "postgraduate", xlsx(table([person_row(1)])))
    status = reverse("sheets:status", kwargs={"pk": sheet.pk})
    greek = signed_in(secretariat, "el").get(status).json()
    english = signed_in(secretariat, "en").get(status).json()
    assert greek["state"] == english["state"] == "valid"
    assert greek["label"] == "έτοιμο για εφαρμογή"
    assert english["label"] == "ready to apply"
    js = reports.__file__.rsplit("/", 1)[0] + "/static/sheets/progress.js"
    with open(js, encoding="utf-8") as handle:
        assert "state.textContent = data.label;" in handle.read()


def test_i12_sheet_pages_print_dates_with_genitive_months_in_athens(secretariat, school_el):
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import override

    client = signed_in(secretariat)
    sheet = upload(client, school_el, "postgraduate", xlsx(table([person_row(1)])))
    client.post(apply_url(sheet), {"confirm": "1"})
    sheet.refresh_from_db()
    page = detail(client, sheet)
    with override("el"):
        expected = date_format(timezone.localtime(sheet.applied_at), "DATETIME_FORMAT")
    assert expected in page
    months = "Ιανουαρίου|Φεβρουαρίου|Μαρτίου|Απριλίου|Μαΐου|Ιουνίου|Ιουλίου|Αυγούστου|"
    months += "Σεπτεμβρίου|Οκτωβρίου|Νοεμβρίου|Δεκεμβρίου"
    assert re.search(rf"\d{{1,2}} ({months}) \d{{4}}, \d\d:\d\d", page)
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", page)


# --------------------------------------------------------------------------
# §6 History is never overwritten


def test_i12_reapply_keeps_the_original_record_and_results_file_and_records_a_new_event(
    secretariat, school_el
):
    client = signed_in(secretariat)
    rows = [person_row(n) for n in range(1, 6)]
    sheet = upload(client, school_el, "postgraduate", xlsx(table(rows)), name="dpms-2027.xlsx")
    client.post(apply_url(sheet), {"confirm": "1"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPLIED and sheet.changes == 5
    record = {
        f: getattr(sheet, f)
        for f in ("state", "result", "changes", "applied_at", "applied_by_id", "rows")
    }
    results_url = reverse("sheets:results", kwargs={"pk": sheet.pk})
    first_file = client.get(results_url).content
    welcomes = OutboxMessage.objects.filter(template="welcome").count()

    response = client.post(apply_url(sheet), {"confirm": "1"}, follow=True)
    page = response.content.decode()
    assert "Τίποτα προς αλλαγή: το φύλλο είχε ήδη εφαρμοστεί" in page
    sheet.refresh_from_db()
    assert {f: getattr(sheet, f) for f in record} == record  # "5 created" stays "5 created"
    assert client.get(results_url).content == first_file  # byte for byte
    assert OutboxMessage.objects.filter(template="welcome").count() == welcomes
    assert (
        AuditEvent.objects.filter(action="sheet.applied", details__sheet=str(sheet.pk)).count() == 1
    )
    repeat = AuditEvent.objects.get(action="sheet.apply_repeated")
    assert repeat.target_id == str(sheet.pk)
    assert repeat.details["changes"] == 0
    assert repeat.details["original"] == {
        "applied_at": sheet.applied_at.isoformat(),
        "applied_by": "grammateiael",
        "changes": 5,
    }
    # The page's history shows both, the repeat linking to the original apply.
    applied = AuditEvent.objects.get(action="sheet.applied", details__sheet=str(sheet.pk))
    history = page[page.index('id="history"') :]
    assert f'id="event-{applied.pk}"' in history
    assert f'id="event-{repeat.pk}"' in history and f'href="#event-{applied.pk}"' in history
    assert "Νέα εφαρμογή: τίποτα προς αλλαγή" in history
    assert "5 αλλαγές" in history
    # An applied sheet offers no Apply button; its confirmation page says why.
    assert 'id="apply"' not in page
    confirm = client.get(apply_url(sheet)).content.decode()
    assert 'id="already-applied"' in confirm and 'id="confirm-form"' not in confirm


@pytest.mark.django_db(transaction=True)
def test_i12_two_tabs_applying_at_once_apply_once_postgresql(settings):
    """Two requests, each in its own thread with its own database connection, POST the
    confirmed apply at the same moment: exactly one applies; the other is told the sheet
    is being applied or was applied (nothing to change)."""
    if connection.vendor != "postgresql":
        pytest.skip("the row and advisory locks are PostgreSQL's (CI runs it with DATABASE_URL)")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.db import connections

    from kleidi.people.models import School
    from kleidi.portal import demo
    from kleidi.sheets.services import upload_sheet

    demo.seed()
    actor = Account.objects.get(username="grammateiael")
    sheet = upload_sheet(
        content=xlsx(table([person_row(n) for n in range(1, 4)])),
        filename="dpms.xlsx",
        school=School.objects.get(code="el"),
        kind="postgraduate",
        actor=actor,
    )
    tabs = [signed_in(actor), signed_in(actor)]
    barrier = threading.Barrier(2)
    pages, failures = [], []

    def press(client):
        try:
            barrier.wait()
            response = client.post(apply_url(sheet), {"confirm": "1"}, follow=True)
            pages.append(response.content.decode())
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPLIED and sheet.changes == 3
    assert (
        AuditEvent.objects.filter(action="sheet.applied", details__sheet=str(sheet.pk)).count() == 1
    )
    assert (
        AuditEvent.objects.filter(action="sheet.apply_started", target_id=str(sheet.pk)).count()
        == 1
    )
    assert Account.objects.filter(username__in=["nioannou", "ndimitriou", "nantoniou"]).count() == 3
    assert OutboxMessage.objects.filter(template="welcome").count() == 3
    running = message("sheet.apply_running", language="el")
    told = [p for p in pages if running in p or "Τίποτα προς αλλαγή" in p]
    assert len(pages) == 2 and len(told) == 1
    repeats = AuditEvent.objects.filter(action="sheet.apply_repeated").count()
    assert repeats == (0 if running in told[0] else 1)


def test_i12_results_file_is_named_after_the_upload(secretariat, school_el):
    client = signed_in(secretariat)
    sheet = upload(
        client, school_el, "postgraduate", xlsx(table([person_row(1)])), name="dpms-2027.xlsx"
    )
    response = client.get(reverse("sheets:results", kwargs={"pk": sheet.pk}))
    assert response["Content-Disposition"] == 'attachment; filename="dpms-2027-results.xlsx"'
    greek = upload(
        client, school_el, "postgraduate", xlsx(table([person_row(1)])), name="Φοιτητές ΔΠΜΣ.xlsx"
    )
    response = client.get(reverse("sheets:results", kwargs={"pk": greek.pk}))
    name = "Φοιτητές ΔΠΜΣ-results.xlsx"
    assert response["Content-Disposition"] == (
        'attachment; filename="Foitites_DPMS-results.xlsx"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )


@pytest.mark.parametrize(
    ("uploaded", "expected"),
    [
        ("dpms-2027.xlsx", "dpms-2027-results.xlsx"),
        ("ΔΠΜΣ 2027.CSV", "ΔΠΜΣ 2027-results.xlsx"),
        ("../../etc/passwd", "passwd-results.xlsx"),
        ("C:\\Users\\γραμματεία\\φύλλο.ods", "φύλλο-results.xlsx"),
        ('a"b;\r\nc.xls', "a b c-results.xlsx"),
        (".xlsx", "sheet-results.xlsx"),
        ("", "sheet-results.xlsx"),
    ],
)
def test_i12_results_filename_is_safe(uploaded, expected):
    assert reports.results_filename(uploaded) == expected
    assert '"' not in reports.ascii_filename(expected)
    assert reports.ascii_filename(expected).isascii()


def test_i12_results_file_keeps_the_templates_column_formats(secretariat, school_el):
    rows = [
        person_row(1, mobile="6912345678", registration_number="031"),
        person_row(2, mobile="12345"),
    ]
    client = signed_in(secretariat)
    sheet = upload(client, school_el, "postgraduate", xlsx(table(rows)))
    content = client.get(reverse("sheets:results", kwargs={"pk": sheet.pk})).content
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[1]]
    mobile = header.index("Κινητό τηλέφωνο") + 1
    number = header.index("Αριθμός Μητρώου") + 1
    end = header.index("Ημερομηνία λήξης") + 1
    for row in (2, 3):
        assert ws.cell(row=row, column=mobile).data_type == "s"
        assert ws.cell(row=row, column=mobile).number_format == "@"
        assert ws.cell(row=row, column=number).number_format == "@"
    assert ws.cell(row=2, column=mobile).value == "6912345678"
    assert ws.cell(row=2, column=number).value == "031"
    assert ws.cell(row=2, column=end).is_date
    assert ws.cell(row=2, column=end).value.date() == rows[0]["end_date"]
    # Widths as the template's (at least 14, the header's length and more), frozen header.
    letter = openpyxl.utils.get_column_letter(number)
    assert ws.column_dimensions[letter].width == max(14, len("Αριθμός Μητρώου") + 4)
    assert ws.freeze_panes == "A2"


def test_i12_a_past_date_in_a_message_reads_as_a_date_with_a_genitive_month():
    from kleidi.sheets.validation import error_entry, render

    entry = error_entry(5, "end_date", "date.past", {"value": "2020-12-01"})
    assert render(entry, "el") == "Η ημερομηνία «1 Δεκεμβρίου 2020» πρέπει να είναι μελλοντική."
    assert render(entry, "en") == "The date “1 December 2020” must be in the future."
    assert entry["params"] == {"value": "2020-12-01"}  # the JSON keeps ISO
