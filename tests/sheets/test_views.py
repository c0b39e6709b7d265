"""The web pages (R8 scope everywhere, R19 flow, downloads)."""

import datetime as dt
import io
import json
import uuid
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kleidi.accounts.models import Account
from kleidi.notifications.models import OutboxMessage
from kleidi.sheets.models import SheetState, SheetUpload
from tests.sheets.factories import future, person_row, renewal, table, xlsx
from tests.sheets.hostile import CRAFTED

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"

pytestmark = pytest.mark.django_db


def upload(client, school, kind, data, name="sheet.xlsx"):
    return client.post(
        reverse("sheets:index"),
        {"school": school.pk, "kind": kind, "file": SimpleUploadedFile(name, data)},
    )


@pytest.fixture
def el_client(client, secretariat):
    client.force_login(secretariat)
    return client


def test_r8_anonymous_is_sent_to_sign_in(client, demo):
    response = client.get(reverse("sheets:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_r8_members_may_not_use_sheets(client, account):
    client.force_login(account("gpapadopoulos"))
    assert client.get(reverse("sheets:index")).status_code == 403


def test_r8_secretariat_is_offered_only_its_school(el_client, school_el, school_ch):
    page = el_client.get(reverse("sheets:index")).content.decode()
    assert f'value="{school_el.pk}"' in page
    assert f'value="{school_ch.pk}"' not in page
    response = upload(el_client, school_ch, "renewal", renewal([("salexiou", future())]))
    assert response.status_code == 200
    assert not SheetUpload.objects.exists()


def test_r19_upload_preview_with_highlighted_cells_then_fix_and_apply(el_client, school_el):
    bad = xlsx(table([person_row(1), person_row(2, external_email="x@ntua.gr")]))
    response = upload(el_client, school_el, "postgraduate", bad)
    sheet = SheetUpload.objects.get()
    assert response["Location"] == reverse("sheets:detail", kwargs={"pk": sheet.pk})
    page = el_client.get(response["Location"]).content.decode()
    assert 'class="bad" data-field="external_email" data-row="3"' in page
    assert "email.institutional" in page
    assert 'id="apply" disabled' in page
    # Apply is refused server-side as well.
    el_client.post(reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"})
    assert not Account.objects.filter(username="nioannou").exists()

    good = xlsx(table([person_row(1), person_row(2)]))
    response = upload(el_client, school_el, "postgraduate", good)
    sheet = SheetUpload.objects.get(pk=response["Location"].split("/")[-2])
    assert sheet.state == SheetState.VALID
    page = el_client.get(response["Location"]).content.decode()
    assert 'id="apply" disabled' not in page
    response = el_client.post(
        reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"}, follow=True
    )
    assert Account.objects.filter(username__in=["nioannou", "ndimitriou"]).count() == 2
    assert OutboxMessage.objects.filter(template="welcome").count() == 2
    response = el_client.post(
        reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"}, follow=True
    )
    assert "Τίποτα προς αλλαγή" in response.content.decode()
    assert OutboxMessage.objects.filter(template="welcome").count() == 2


def test_r8_other_schools_uploads_are_not_found(client, school_ch, account):
    client.force_login(account("grammateiach"))
    upload(client, school_ch, "renewal", renewal([("salexiou", future())]))
    sheet = SheetUpload.objects.get()
    client.force_login(account("grammateiael"))
    for name in ("detail", "progress", "status", "results"):
        assert client.get(reverse(f"sheets:{name}", kwargs={"pk": sheet.pk})).status_code == 404
    assert (
        client.post(reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"}).status_code
        == 404
    )
    client.force_login(account("helpdesk"))
    assert client.get(reverse("sheets:detail", kwargs={"pk": sheet.pk})).status_code == 200


def test_r8_unknown_ids_are_not_found(el_client):
    response = el_client.get(reverse("sheets:detail", kwargs={"pk": uuid.uuid4()}))
    assert response.status_code == 404


def test_r19_results_download(el_client, school_el):
    upload(el_client, school_el, "postgraduate", xlsx(table([person_row(1, mobile="1")])))
    sheet = SheetUpload.objects.get()
    response = el_client.get(reverse("sheets:results", kwargs={"pk": sheet.pk}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.active.cell(row=2, column=book.active.max_column - 1).value == "Σφάλμα"


def test_r9_template_downloads(el_client):
    for kind in ("postgraduate", "phd", "renewal"):
        response = el_client.get(reverse("sheets:template", kwargs={"kind": kind}))
        assert response.status_code == 200
        openpyxl.load_workbook(io.BytesIO(response.content))
    assert el_client.get("/sheets/template/other.xlsx").status_code == 404


def test_r19_large_sheet_goes_to_the_progress_page(
    el_client, school_el, settings, django_capture_on_commit_callbacks
):
    settings.SHEET_TASK_THRESHOLD_ROWS = 1
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "mail", "sheets"],
        }
    }
    upload(el_client, school_el, "postgraduate", xlsx(table([person_row(1), person_row(2)])))
    sheet = SheetUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = el_client.post(
            reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"}
        )
    assert response["Location"] == reverse("sheets:progress", kwargs={"pk": sheet.pk})
    status = el_client.get(reverse("sheets:status", kwargs={"pk": sheet.pk})).json()
    assert status == {**status, "done": True, "percent": 100, "state": "applied"}
    page = el_client.get(response["Location"]).content.decode()
    assert "progress.js" in page
    assert "<script>" not in page  # CSP: no inline scripts


def test_r20_renewal_upload_via_web(client, school_ch, account):
    client.force_login(account("helpdesk"))
    upload(client, school_ch, "renewal", renewal([("salexiou", future(100))]))
    sheet = SheetUpload.objects.get()
    assert sheet.state == SheetState.VALID
    client.post(reverse("sheets:apply", kwargs={"pk": sheet.pk}), {"confirm": "1"})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.APPLIED


# ---------------------------------------------------------------- issue 8: hostile uploads


@pytest.mark.parametrize(("name", "make", "code"), CRAFTED, ids=[c[0] for c in CRAFTED])
def test_r9_hostile_upload_answers_its_code_never_500(el_client, school_el, name, make, code):
    # Before the fix: the process aborted, or HTTP 500 (NotImplementedError, BadZipFile).
    response = upload(el_client, school_el, "postgraduate", make())
    assert response.status_code == 302
    sheet = SheetUpload.objects.get()
    assert [e["code"] for e in sheet.result["errors"]] == [code]
    page = el_client.get(response["Location"])
    assert page.status_code == 200
    assert code in page.content.decode()


def test_r9_upload_too_complex_to_read_answers_its_code(el_client, school_el):
    data = (CORPUS / "poi/test-data/spreadsheet/51535.xls").read_bytes()
    response = upload(el_client, school_el, "postgraduate", data, name="51535.xls")
    assert response.status_code == 302
    assert SheetUpload.objects.get().result["errors"][0]["code"] == "sheet.too_complex"
    assert el_client.get(response["Location"]).status_code == 200


def test_r9_a_long_cell_is_an_error_with_a_short_stored_value(el_client, school_el):
    # Before: a 100 MB cell was stored whole in the result (105 MB) and shown on the page.
    long = "Παπα" * 2_000  # 8,000 characters
    rows = [person_row(1, surname=long), person_row(2, mobile="6" * 5_000)]
    response = upload(el_client, school_el, "postgraduate", xlsx(table(rows)))
    sheet = SheetUpload.objects.get()
    found = {(e["row"], e["column"], e["code"]): e for e in sheet.result["errors"]}
    assert found[(2, "surname", "field.too_long")]["params"] == {"max": "150"}
    assert found[(3, "mobile", "field.too_long")]["params"] == {"max": "4000"}
    assert all(len(e["value"]) <= 200 for e in sheet.result["errors"])
    assert len(json.dumps(sheet.result)) < 20_000
    page = el_client.get(response["Location"]).content.decode()
    assert long not in page


# ---------------------------------------------------------------- issue 9: the guide's sheet


def test_r9_an_xlsb_upload_says_to_save_it_as_xlsx(el_client, school_el):
    data = (CORPUS / "poi/test-data/spreadsheet/Simple.xlsb").read_bytes()
    response = upload(el_client, school_el, "postgraduate", data, name="Simple.xlsb")
    assert response.status_code == 302
    assert [e["code"] for e in SheetUpload.objects.get().result["errors"]] == ["sheet.xlsb"]
    page = el_client.get(response["Location"]).content.decode()
    assert "αποθηκεύστε το ως «Βιβλίο εργασίας του Excel» (.xlsx)" in page


def test_r9_the_guides_excel_csv_uploaded_is_clean(el_client, school_el, monkeypatch):
    # The files end on 30/09/2027: validate as on the day they were made.
    monkeypatch.setattr("kleidi.sheets.validation.local_today", lambda: dt.date(2026, 12, 1))
    guide = CORPUS.parent / "guide" / "guide-excel-el.csv"
    response = upload(el_client, school_el, "postgraduate", guide.read_bytes(), name=guide.name)
    sheet = SheetUpload.objects.get()
    assert sheet.result["errors"] == []
    assert [o["action"] for o in sheet.result["outcomes"]] == ["create"] * 8
    assert el_client.get(response["Location"]).status_code == 200
