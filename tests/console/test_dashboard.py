"""The console's home is a dashboard (issue 12 §1): each figure right, scoped, linked, cheap.

Every figure is checked against an oracle computed in Python from the rows
(`Account.effective_state` for the states), and every number against the
console list its link opens: the number a link shows is the count of that list.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kleidi.accounts.models import Account, AccountKind, AccountState
from kleidi.accounts.services import add_membership
from kleidi.console import charts, dashboard
from kleidi.directory.models import DirectoryChange, DirectoryState, ReconcileRun
from kleidi.notifications.models import OutboxMessage, OutboxStatus
from kleidi.people.services import create_school
from kleidi.registry.models import RegistryRun
from kleidi.sheets.models import SheetUpload

DAY = dt.timedelta(days=1)


def keyed(numbers) -> dict[str, int]:
    """{the value of a number's link filter: the number}, e.g. {"expired": 2}."""
    return {n.href.rsplit("=", 1)[1]: n.value for n in numbers}


def _set(username: str, **fields) -> None:
    """Test data: an account moved in time or state without going through the services."""
    Account.objects.filter(username=username).update(**fields)


@pytest.fixture
def seeded(demo, account):
    """Both schools with accounts in every figure: expiring soon, past expiry, pending long."""
    now = timezone.now()
    _set("gpapadopoulos", expires_at=now + 5 * DAY)  # el, active: 7/30/90 days
    _set("salexiou", expires_at=now + 20 * DAY)  # ch: 30/90 days
    _set("el21042", expires_at=now - DAY)  # el, active past expiry: counts as expired
    _set("el24001", state_changed_at=now - 10 * DAY)  # el, pending for 10 days
    _set("kbakogianni", expires_at=now + 40 * DAY)  # expired (state): not expiring
    helpdesk = account("helpdesk")
    for status in (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.FAILED):
        OutboxMessage.objects.create(
            template="t", to="a@example.com", subject="s", body_text="b", status=status
        )
    for school in (account("gpapadopoulos").school, account("salexiou").school):
        SheetUpload.objects.create(
            school=school,
            kind="postgraduate",
            filename=f"{school.code}.xlsx",
            content=b"",
            size=0,
            sha256="",
            uploaded_by=helpdesk,
            state="invalid",
        )
    RegistryRun.objects.create(source="feed.csv", records=12)
    return now


def oracle(viewer: str, now: dt.datetime) -> dict:
    """The figures from the rows, in Python (R21's `effective_state`)."""
    rows = [
        a
        for a in Account.objects.select_related("school")
        if viewer == "helpdesk" or (a.school is not None and a.school.code == "el")
    ]
    usable = [a for a in rows if a.effective_state in (AccountState.ACTIVE, AccountState.PENDING)]
    return {
        "states": {s: sum(a.effective_state == s for a in rows) for s in AccountState.values},
        "kinds": {k: sum(a.kind == k for a in rows) for k in AccountKind.values},
        "expiring": {
            d: sum(a.expires_at is not None and a.expires_at <= now + d * DAY for a in usable)
            for d in (7, 30, 90)
        },
        "pending": sum(
            a.effective_state == AccountState.PENDING and a.state_changed_at <= now - 7 * DAY
            for a in rows
        ),
        "months": sum(a.expires_at is not None for a in usable),
    }


def list_count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["cl"].result_count


@pytest.mark.parametrize("viewer", ["helpdesk", "grammateiael"])
def test_i12_dashboard_figures_match_the_rows(seeded, account, viewer):
    board = dashboard.build(account(viewer), now=seeded)
    expected = oracle(viewer, seeded)
    assert keyed(board.states) == expected["states"]
    assert keyed(board.kinds) == expected["kinds"]
    assert [n.value for n in board.expiring] == [expected["expiring"][d] for d in (7, 30, 90)]
    assert board.pending.value == expected["pending"]
    assert len(board.months) == 24
    # Every usable account with an expiry within the 24 months is in one bar.
    assert sum(n.value for n in board.months) == expected["months"]


def test_i12_dashboard_seeded_numbers(seeded, account):
    """The seeded accounts land where they should, for the helpdesk and for `el`'s secretariat."""
    helpdesk = dashboard.build(account("helpdesk"), now=seeded)
    el = dashboard.build(account("grammateiael"), now=seeded)
    assert [n.value for n in helpdesk.expiring][:2] == [1, 2]  # gpapadopoulos; + salexiou (ch)
    assert [n.value for n in el.expiring][:2] == [1, 1]  # ch's salexiou is not el's
    assert helpdesk.pending.value == el.pending.value == 1  # el24001
    expired = keyed(el.states)[AccountState.EXPIRED]
    assert expired == 2  # kbakogianni (state) and el21042 (active past expiry)
    this_month = f"{timezone.localtime(seeded + 5 * DAY):%Y-%m}"
    assert any(n.value >= 1 and n.href.endswith(f"expires_month={this_month}") for n in el.months)


def test_r8_secretariat_sees_only_its_schools_sheets_and_no_helpdesk_figures(seeded, account):
    el = dashboard.build(account("grammateiael"), now=seeded)
    assert [u.school.code for u in el.uploads] == ["el"]
    assert el.outbox is None and el.runs is None  # the outbox and the registry: the helpdesk's
    helpdesk = dashboard.build(account("helpdesk"), now=seeded)
    assert sorted(u.school.code for u in helpdesk.uploads) == ["ch", "el"]
    assert [n.value for n in helpdesk.outbox] == [1, 0, 2]
    assert [r.records for r in helpdesk.runs] == [12]


def numbers(board) -> list:
    found = [*board.states, *board.kinds, *board.months, *board.expiring, board.pending]
    found += board.outbox or []
    found += board.directory["states"] if board.directory else []
    return found


@pytest.mark.parametrize("viewer", ["helpdesk", "grammateiael"])
def test_i12_every_number_is_the_count_of_the_list_it_opens(client, seeded, account, viewer):
    client.force_login(account(viewer))
    board = dashboard.build(account(viewer))
    for number in numbers(board):
        assert list_count(client, number.href) == number.value, (number.label, number.href)


@pytest.mark.parametrize("viewer", ["helpdesk", "grammateiael"])
def test_i12_the_page_shows_the_charts_and_linked_numbers(client, seeded, account, viewer):
    client.force_login(account(viewer))
    html = client.get("/console/").content.decode()
    assert html.count('role="img"') == 3 and html.count("<title id=") == 3
    assert 'style="' not in html[html.index("kleidi-dashboard") :]
    board = dashboard.build(account(viewer))
    for number in numbers(board):
        href = number.href.replace("&", "&amp;")
        assert (
            f'<a href="{href}">{number.value}</a>' in html
            or f'<a href="{href}"><span class="tile-number">{number.value}' in html
        )
    if viewer == "grammateiael":
        assert "ch.xlsx" not in html and "el.xlsx" in html
        assert "outboxmessage" not in html


@pytest.mark.parametrize("viewer", ["helpdesk", "grammateiael"])
def test_i12_dashboard_query_count_does_not_grow_with_the_data(
    client, seeded, account, school_el, viewer
):
    client.force_login(account(viewer))
    client.get("/console/")  # warm the session and the content types
    with CaptureQueriesContext(connection) as before:
        client.get("/console/")
    helpdesk = account("helpdesk")
    # One more school for the secretariat, with accounts of its own.
    school = create_school(
        {
            "code": "mm",
            "name_el": "Σχολή Μηχανολόγων",
            "name_en": "Mechanical",
            "undergraduate_prefix": "mm",
        }
    )
    add_membership(account("grammateiael"), school)
    Account.objects.filter(username__in=["salexiou", "el21042"]).update(school=school)
    for i in range(6):
        SheetUpload.objects.create(
            school=school_el,
            kind="phd",
            filename=f"more{i}.xlsx",
            content=b"",
            size=0,
            sha256="",
            uploaded_by=helpdesk,
            state="valid",
        )
        RegistryRun.objects.create(source=f"feed{i}.csv")
        OutboxMessage.objects.create(template="t", to="b@example.com", subject="s", body_text="b")
    _set("el21042", expires_at=seeded + 100 * DAY)
    with CaptureQueriesContext(connection) as after:
        response = client.get("/console/")
    assert response.status_code == 200
    assert len(after) == len(before)
    assert len(after) <= 16
    if viewer == "grammateiael":
        assert dashboard.build(account(viewer)).scope == "el, mm"


def test_i12_directory_section_absent_when_ldap_off(client, seeded, account, settings):
    settings.LDAP_ENABLED = False
    client.force_login(account("helpdesk"))
    html = client.get("/console/").content.decode()
    assert 'id="dash-directory"' not in html
    assert dashboard.build(account("helpdesk")).directory is None


def test_i12_directory_backlog_and_drift_when_ldap_on(client, seeded, account, settings):
    settings.LDAP_ENABLED = True
    member, other = account("gpapadopoulos"), account("salexiou")
    for target in (member, member, other):
        DirectoryChange.objects.create(account=target, reason="account.created")
    DirectoryState.objects.create(account=other, attempts=2, last_error="down")
    ReconcileRun.objects.create(
        finished_at=timezone.now(),
        counts={"accounts": 30, "in_sync": 27, "missing": 2, "lock_drift": 1},
    )
    board = dashboard.build(account("helpdesk"))
    states = keyed(board.directory["states"])
    assert states["failing"] == 1 and states["pending"] == 1  # other fails; member waits
    assert board.directory["changes"] == 3
    findings = {n.label: n.value for n in board.directory["reconcile"]["findings"]}
    assert sorted(findings.values()) == [0, 0, 0, 0, 1, 2]
    client.force_login(account("helpdesk"))
    html = client.get("/console/").content.decode()
    assert 'id="dash-directory"' in html
    for number in board.directory["states"]:
        assert list_count(client, number.href) == number.value
    # A secretariat: its school's accounts only, no global queue or drift.
    el = dashboard.build(account("grammateiael"))
    el_states = keyed(el.directory["states"])
    assert el_states["failing"] == 0 and el_states["pending"] == 1
    assert "changes" not in el.directory


def test_i12_dashboard_in_english(client, seeded, account):
    client.force_login(account("helpdesk"))
    client.cookies["django_language"] = "en"
    html = client.get("/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Accounts by state" in html
    client.cookies["django_language"] = "el"
    html = client.get("/console/").content.decode()
    assert "Λογαριασμοί ανά κατάσταση" in html
    assert re.search(r"Δεκέμβριος \d{4}|Ιανουάριος \d{4}", html)


def test_i12_expiries_per_month_use_athens_months(demo, account):
    """An expiry at 01:30 on the 1st in Athens (22:30 UTC the day before) is that month's."""
    athens = timezone.get_default_timezone()
    now = timezone.now()
    local = timezone.localtime(now, athens)
    first = dt.datetime(local.year + 1, local.month, 1, 1, 30, tzinfo=athens)
    this, before = f"{first:%Y-%m}", f"{first - dt.timedelta(days=1):%Y-%m}"
    _set("gpapadopoulos", expires_at=first)
    _set("salexiou", expires_at=first - dt.timedelta(hours=2))  # 23:30, the month before
    board = dashboard.build(account("helpdesk"), now=now)
    bars = keyed(board.months)
    assert board.months[12].href.endswith(this)
    assert bars[this] >= 1 and bars[before] >= 1
    _set("salexiou", expires_at=first)
    moved = keyed(dashboard.build(account("helpdesk"), now=now).months)
    assert moved[before] == bars[before] - 1 and moved[this] == bars[this] + 1


def test_r21_pending_past_expiry_counts_as_expired(demo, account):
    now = timezone.now()
    before = dashboard.build(account("helpdesk"), now=now)
    _set("el24001", expires_at=now - DAY)  # pending, past expiry
    after = dashboard.build(account("helpdesk"), now=now)
    assert keyed(after.states)["expired"] == keyed(before.states)["expired"] + 1
    assert keyed(after.states)["pending"] == keyed(before.states)["pending"] - 1


def test_i12_charts_scale_escape_and_carry_no_inline_style():
    bars = [charts.Bar("<b>a</b>", 10), charts.Bar("b", 5), charts.Bar("c", 0)]
    for draw in (charts.horizontal, charts.vertical):
        svg = str(draw("c1", "Τίτλος & co", bars))
        assert svg.startswith('<svg class="chart" id="c1" role="img" aria-labelledby="c1-title"')
        assert '<title id="c1-title">Τίτλος &amp; co</title>' in svg
        assert "<b>" not in svg and "&lt;b&gt;a&lt;/b&gt;" in svg
        assert "style=" not in svg
    heights = re.findall(r'<rect [^>]*height="([\d.]+)"', str(charts.vertical("c2", "t", bars)))
    assert [float(h) for h in heights] == [160.0, 80.0, 0.0]
    widths = re.findall(r'<rect [^>]*width="([\d.]+)"', str(charts.horizontal("c3", "t", bars)))
    assert float(widths[0]) == 2 * float(widths[1]) and float(widths[2]) == 0
    empty = str(charts.horizontal("c4", "t", [charts.Bar("x", 0)]))
    assert 'width="0.0"' in empty  # no division by zero when every bar is 0


def test_r14_i12_an_end_date_of_31_december_is_a_december_expiry(client, demo, account):
    """R14 stores end date D as D+1 00:00: the bar is the month of D, as is the list it opens."""
    from kleidi.accounts.services.transitions import end_of_day

    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    last = dt.date(local.year, 12, 31)
    _set("gpapadopoulos", expires_at=end_of_day(last))
    board = dashboard.build(account("helpdesk"), now=timezone.now())
    december, january = f"{last:%Y-%m}", f"{last + DAY:%Y-%m}"
    bars = {n.href.rsplit("=", 1)[1]: n for n in board.months}
    client.force_login(account("helpdesk"))
    assert "gpapadopoulos" in listed_in(client, bars[december].href)
    assert "gpapadopoulos" not in listed_in(client, bars[january].href)
    for month in (december, january):
        assert bars[month].value == len(listed_in(client, bars[month].href))


def listed_in(client, href: str) -> set[str]:
    response = client.get(href)
    assert response.status_code == 200
    return {a.username for a in response.context["cl"].queryset}
