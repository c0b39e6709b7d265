"""R29: a sheet's upload, validation and apply are audited with actor, address, school, details."""

import datetime as dt
import hashlib
import os
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kleidi.accounts.services import end_of_day
from kleidi.audit.models import AuditEvent
from tests.audit import seen
from tests.sheets.factories import person_row, table, xlsx

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.40"


def test_r29_a_welcome_sheet_leaves_a_complete_trail(school_el, secretariat):
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(secretariat)
    row = person_row(1)
    content = xlsx(table([row]))
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = client.post(
        reverse("sheets:index"),
        {
            "school": school_el.pk,
            "kind": "postgraduate",
            "file": SimpleUploadedFile("w.xlsx", content),
        },
    )
    sheet = response["Location"].split("/")[-2]
    client.post(reverse("sheets:apply", kwargs={"pk": sheet}), {"confirm": "1"}, follow=True)

    events = [seen(e) for e in AuditEvent.objects.filter(pk__gt=before).order_by("pk")]
    by_secretariat = {
        "actor": "grammateiael",
        "actor_name": "grammateiael",
        "client_ip": ADDRESS,
        "school": "el",
    }
    upload = "sheetupload:w.xlsx (el, postgraduate)"
    claim = events[2]["details"]  # who holds the apply (issue 8's stale-apply check)
    assert (claim.pop("pid"), claim.pop("host")) == (os.getpid(), socket.gethostname())
    assert dt.datetime.fromisoformat(claim.pop("at")) <= timezone.now()
    person = {f: row[f] for f in ("surname", "given_name", "father_name", "mother_name")}
    assert events == [
        {
            "action": "sheet.uploaded",
            **by_secretariat,
            "target": upload,
            "details": {
                "filename": "w.xlsx",
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            },
        },
        {
            "action": "sheet.validated",
            **by_secretariat,
            "target": upload,
            "details": {
                "kind": "postgraduate",
                "rows": 1,
                "errors": 0,
                "codes": {},
                "actions": {"create": 1},
            },
        },
        {"action": "sheet.apply_started", **by_secretariat, "target": upload, "details": {}},
        {
            "action": "person.created",
            **by_secretariat,
            "target": "person:Ιωάννου Νίκος",
            "details": {
                "after": {
                    **person,
                    "mobile": "+306900000001",
                    "external_email": row["external_email"],
                }
            },
        },
        {
            "action": "affiliation.created",
            **by_secretariat,
            "target": f"affiliation:μεταπτυχιακός el {row['registration_number']}",
            "details": {
                "after": {
                    "kind": "postgraduate",
                    "registration_number": row["registration_number"],
                    "status": "active",
                    "start_date": timezone.localdate().isoformat(),
                    "end_date": row["end_date"].isoformat(),
                    "supervisor_name": row["supervisor_name"],
                    "supervisor_email": row["supervisor_email"],
                }
            },
        },
        {
            "action": "account.created",
            **by_secretariat,
            "target": "account:nioannou",
            "details": {
                "kind": "postgraduate",
                "expires_at": end_of_day(row["end_date"]).isoformat(),
            },
        },
        {
            "action": "link.issued",
            "actor": None,
            "actor_name": "system",
            "client_ip": None,
            "school": "el",
            "target": "account:nioannou",
            "details": {"purpose": "activation", "reason": "created"},
        },
        {
            "action": "sheet.row_applied",
            **by_secretariat,
            "target": "account:nioannou",
            "details": {"sheet": sheet, "row": 2, "action": "create", "username": "nioannou"},
        },
        {
            "action": "sheet.applied",
            **by_secretariat,
            "target": "",
            "details": {
                "sheet": sheet,
                "kind": "postgraduate",
                "rows": 1,
                "actions": {"create": 1},
            },
        },
    ]
