"""`kleidi.bulk.insert_rows` writes what `bulk_create` would, on SQLite and PostgreSQL."""

import pytest
from django.utils import timezone

from kleidi.audit.models import AuditEvent
from kleidi.audit.services import build_event, record_many
from kleidi.bulk import insert_rows
from kleidi.portal.models import InstanceFlag

pytestmark = pytest.mark.django_db


def test_r29_record_many_round_trips_every_column(account):
    actor = account("grammateiael")
    target = account("gpapadopoulos")
    before = timezone.now()
    events = [
        build_event(
            "sheet.row_applied",
            actor=actor,
            client_ip="192.0.2.7",
            target=target,
            school=target.school,
            details={"row": n, "name": "Παπαδόπουλος", "nested": {"ok": True}},
        )
        for n in range(3)
    ]
    record_many(events)
    saved = list(AuditEvent.objects.filter(action="sheet.row_applied").order_by("pk"))
    assert [e.details["row"] for e in saved] == [0, 1, 2]
    first = saved[0]
    assert first.details == {"row": 0, "name": "Παπαδόπουλος", "nested": {"ok": True}}
    assert first.actor == actor and first.actor_name == "grammateiael"
    assert first.client_ip == "192.0.2.7"
    assert first.school == target.school
    assert (first.target_type, first.target_id) == ("account", str(target.pk))
    assert before <= first.created_at <= timezone.now()


def test_insert_rows_in_batches_and_nothing_for_an_empty_list(db):
    insert_rows([])
    insert_rows([InstanceFlag(name=f"flag{n}") for n in range(25)], batch_size=10)
    assert InstanceFlag.objects.filter(name__startswith="flag").count() == 25
    assert InstanceFlag.objects.get(name="flag3").created_at is not None
