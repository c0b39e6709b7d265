"""The fast bulk paths write exactly what the one-at-a-time paths write (issue 10, item 10).

A sheet's or registry's welcomes are rendered once per language and filled in
per message; audit events, tokens and messages are written as plain rows
(COPY on PostgreSQL). These tests hold each fast path to its slow twin,
byte for byte and column by column, on SQLite and PostgreSQL.
"""

import pytest
from django.utils import timezone
from django.utils.html import escape

from kleidi.audit.models import AuditEvent
from kleidi.audit.services import build_event, event_row, record_many
from kleidi.bulk import insert_rows, insert_values
from kleidi.credentials.services.links import link_url, link_urls
from kleidi.linkseal import seal
from kleidi.notifications import services as outbox
from kleidi.notifications.models import OutboxMessage
from kleidi.portal.models import InstanceFlag

pytestmark = pytest.mark.django_db

TRICKY_USERNAMES = [
    "el18123",
    "a<b>&\"c'",
    "Παπαδόπουλος",
    "  spaced  ",
    "two\nlines",
    "{{ link }}",
    "%s %(username)s \\1 \\g<0>",
    "https://evil.example/x).",
    "x" * 300,
    "\t&amp;",
]
TRICKY_LINKS = [
    "https://kleidi.example/password/link/~kAAAA~b~/",
    "https://k.example/p?a=1&b=<2>",
    "http://k.example/end.",
    "(https://k.example/x)",
    "no link at all",
    "https://k.example/a\n\nhttps://k.example/b",
    "https://k.example/ünï",
    "\u202eevil",
    "~" * 50,
    "https://k.example/" + "z" * 500,
]


def welcome_contexts(reason="created"):
    return [
        {
            "username": username,
            "link": link,
            "days": 7,
            "reason": reason,
            "base_url": "https://kleidi.example",
        }
        for username in TRICKY_USERNAMES
        for link in TRICKY_LINKS
    ]


@pytest.mark.parametrize("reason", ["created", "reactivated"])
def test_r3_welcomes_rendered_once_are_byte_identical_to_each_rendered_alone(reason):
    contexts = welcome_contexts(reason)
    # The fast path is taken for the welcome (else this test would compare the slow path to itself).
    constant = {k: v for k, v in contexts[0].items() if k not in ("username", "link")}
    assert outbox._message_skeletons("welcome", constant, ["link", "username"]) is not None
    assert outbox._layout_skeleton() is not None
    fast = outbox.render_messages("welcome", contexts)
    slow = [outbox.render_message("welcome", context) for context in contexts]
    assert fast == slow


def test_r30_values_the_fast_path_cannot_substitute_are_rendered_alone():
    contexts = welcome_contexts()[:3]
    contexts[1] = {**contexts[1], "username": ""}  # an empty value may change an {% if %}
    contexts[2] = {**contexts[2], "username": "nul\x00byte"}
    assert outbox.render_messages("welcome", contexts) == [
        outbox.render_message("welcome", context) for context in contexts
    ]


def test_r30_a_template_that_tests_or_filters_a_value_is_not_substituted():
    assert outbox._plain_uses_only("Hi {{ username }} {{ link }}", ["username", "link"])
    assert not outbox._plain_uses_only("{% if username %}x{% endif %}", ["username"])
    assert not outbox._plain_uses_only("{{ username|upper }}", ["username"])
    assert not outbox._plain_uses_only("{% with u=username %}{{ u }}{% endwith %}", ["username"])
    assert not outbox._plain_uses_only('{% include "x.txt" %}{{ username }}', ["username"])
    # Escaping or transforming the value shows in the two renders with different markers.
    assert outbox._skeleton(lambda marks: escape(marks["x"]), ["x"]) is None
    assert outbox._skeleton(lambda marks: marks["x"].upper(), ["x"]) is None
    assert outbox._skeleton(lambda marks: f"<{marks['x']}>", ["x"]) is not None


def test_r30_messages_written_as_rows_equal_the_queued_instances(account):
    member = account("gpapadopoulos")
    messages = [
        (f"m{n}@example.com", context, member) for n, context in enumerate(welcome_contexts()[:5])
    ]
    before = timezone.now()
    queued = outbox.queue_messages("welcome", messages)
    assert outbox.write_messages("welcome", messages) == 5
    columns = [
        "template",
        "to",
        "subject",
        "body_text",
        "body_html",
        "account_id",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    ]
    rows = list(
        OutboxMessage.objects.order_by("pk").values(*columns, "created_at", "next_attempt_at")
    )
    assert [m.pk for m in queued] == [
        r["pk"] for r in OutboxMessage.objects.order_by("pk").values("pk")
    ][:5]
    first, second = rows[:5], rows[5:]
    assert [{k: r[k] for k in columns} for r in first] == [
        {k: r[k] for k in columns} for r in second
    ]
    assert all(before <= r["created_at"] <= r["next_attempt_at"] <= timezone.now() for r in second)


def test_r29_event_rows_are_recorded_as_built_events(account):
    actor = account("grammateiael")
    target = account("gpapadopoulos")
    kwargs = {
        "actor": actor,
        "client_ip": "2001:db8::7",
        "target": target,
        "school": target.school,
        "details": {"row": 1, "token": "dropped", "nested": {"secret": "x", "ok": "a\tb\\c\nd"}},
    }
    record_many([build_event("x.built", **kwargs)])
    record_many([event_row("x.row", **kwargs)])
    record_many([event_row("x.bare")])
    columns = [
        "actor_id",
        "actor_name",
        "client_ip",
        "target_type",
        "target_id",
        "target_repr",
        "school_id",
        "details",
    ]
    built, row = (
        AuditEvent.objects.filter(action=a).values(*columns).get() for a in ("x.built", "x.row")
    )
    assert built == row
    assert row["details"] == {"row": 1, "nested": {"ok": "a\tb\\c\nd"}}
    bare = AuditEvent.objects.get(action="x.bare")
    assert (bare.actor_id, bare.actor_name, bare.target_id, bare.details) == (
        None,
        "system",
        "",
        {},
    )


def test_insert_rows_returning_gives_each_object_its_own_key(db):
    flags = [InstanceFlag(name=f"ret{n}") for n in range(2500)]
    insert_rows(flags, returning=True)
    stored = dict(InstanceFlag.objects.filter(name__startswith="ret").values_list("name", "pk"))
    assert {f.name: f.pk for f in flags} == stored
    assert not any(f._state.adding for f in flags)


def test_insert_values_round_trips_awkward_text(db):
    names = ["tab\there", "back\\slash", "new\nline", "Ωμέγα", "\\N", "", "quote'\"", "\r\n"]
    now = timezone.now()
    rows = [(n, now) for n in names]
    keys = insert_values(InstanceFlag, ["name", "created_at"], rows, returning=True)
    assert [InstanceFlag.objects.get(pk=k).name for k in keys] == names


def test_r24_link_urls_equal_link_url_one_by_one():
    sealed = [seal()[0] for _ in range(20)] + ["not-a-placeholder"]
    assert link_urls(sealed) == [link_url(s) for s in sealed]
    assert link_urls([]) == []


@pytest.mark.parametrize("kind", ["undergraduate", "postgraduate", "phd", "staff", "external"])
@pytest.mark.parametrize("language", ["el", "en"])
def test_r29_affiliation_events_name_their_target_as_str_does(kind, language, account):
    from django.utils import translation

    from kleidi.people.services import create_affiliations

    person = account("gpapadopoulos").person
    school = account("gpapadopoulos").school
    rows = [
        {"person": person, "school": school, "kind": kind, "registration_number": f"R{n}"}
        for n in range(2)
    ] + [{"person": person, "school": None, "kind": kind, "registration_number": ""}]
    with translation.override(language):
        made = create_affiliations(rows)
        expected = [str(a) for a in made]
    stored = AuditEvent.objects.filter(
        action="affiliation.created", target_id__in=[str(a.pk) for a in made]
    ).order_by("pk")
    assert [e.target_repr for e in stored] == expected


def test_new_instances_equal_the_models_own_constructor(account):
    from kleidi.accounts.models import Account
    from kleidi.bulk import new_instances
    from kleidi.people.models import Affiliation, Person

    member = account("gpapadopoulos")
    cases = [
        (Person, {"surname": "Αβ", "given_name": "Γδ", "mobile": "+306900000000"}),
        (Affiliation, {"person": member.person, "school": member.school, "kind": "phd"}),
        (Affiliation, {"person_id": member.person_id, "school": None, "kind": "staff"}),
        (
            Account,
            {"username": "x1", "kind": "postgraduate", "person": member.person, "school": None},
        ),
    ]
    for model, row in cases:
        (fast,) = new_instances(model, [row])
        slow = model(**row)
        volatile = {"_state", "created_at", "updated_at", "state_changed_at"}
        assert {k: v for k, v in vars(fast).items() if k not in volatile} == {
            k: v for k, v in vars(slow).items() if k not in volatile
        }
        assert fast._state.adding and fast._state.db is None
        assert fast._state.fields_cache == slow._state.fields_cache
    # Anything but fields goes through the constructor (which refuses an unknown name).
    with pytest.raises(TypeError):
        new_instances(Person, [{"surname": "Α", "nonsense": 1}])


def test_a_field_with_its_own_preparation_is_never_skipped(db):
    from django.db import connection, models

    from kleidi.bulk import _preparers

    class Shouting(models.CharField):
        def get_prep_value(self, value):
            return super().get_prep_value(value).upper()

    shouting, plain = _preparers(
        [Shouting(max_length=9), models.CharField(max_length=9)], connection
    )
    assert (shouting("quiet"), plain("quiet")) == ("QUIET", "quiet")
