"""The main pages of Kleidi, member and staff, for the accessibility and phone-width tests.

`PAGES` names each page, who opens it and its path; a path may hold `{...}`
fields that `Site` fills from data made for the test through the services (an
upload with errors, one waiting in the queue, a review item, a set-password
link). `open_page` signs in as the page's user, picks the language with the
`django_language` cookie (the only thing kleidi.portal.middleware listens to)
and loads the page, refusing any status but the page's own (200, or 410 for a dead link).

Run one page: `uv run pytest tests/e2e/test_accessibility.py -k "console-account and en"`.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from tests.e2e.test_sheets import sign_in
from tests.sheets.factories import person_row, table, xlsx

LANGUAGES = ["el", "en"]
HELP_SLUGS = [
    "bulk-provisioning",
    "bulk-renewal",
    "external-email",
    "forgot-password",
    "new-undergraduate",
]


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    path: str
    user: str | None = None
    demo_only: bool = False
    status: int = 200
    then: str = ""  # a step of STEPS run once the page is loaded (a refused form)

    def __str__(self) -> str:
        return self.name


PAGES = [
    # Anyone
    Target("home", "/"),
    Target("help", "/help/"),
    *(Target(f"help-{slug}", f"/help/{slug}/") for slug in HELP_SLUGS),
    Target("login", "/accounts/login/"),
    Target("login-refused", "/accounts/login/", then="wrong_password"),
    Target("forgot", "/password/forgot/"),
    Target("forgot-refused", "/password/forgot/", then="submit_empty"),
    Target("forgot-sent", "/password/forgot/sent/"),
    Target("set-password", "{set_password_link}"),
    Target("link-invalid", "/password/link/no-such-token/", status=410),
    Target("demo-mailbox", "/demo/mailbox/", demo_only=True),
    # A member
    Target("account", "/account/", user="gpapadopoulos"),
    Target("change-password", "/password/change/", user="gpapadopoulos"),
    Target(
        "change-password-refused", "/password/change/", user="gpapadopoulos", then="submit_empty"
    ),
    # A secretariat
    Target("sheets", "/sheets/", user="grammateiael"),
    Target("sheet-errors", "/sheets/{invalid_upload}/", user="grammateiael"),
    Target("sheet-progress", "/sheets/{queued_upload}/progress/", user="grammateiael"),
    Target("sheet-valid", "/sheets/{valid_upload}/", user="grammateiael"),
    Target("sheet-confirm", "/sheets/{valid_upload}/apply/", user="grammateiael"),
    Target("sheet-applied", "/sheets/{applied_upload}/", user="grammateiael"),
    Target("console-secretariat", "/console/", user="grammateiael"),
    # The helpdesk
    Target("console", "/console/", user="helpdesk"),
    Target("console-accounts", "/console/accounts/account/", user="helpdesk"),
    Target("console-account", "/console/accounts/account/{account}/change/", user="helpdesk"),
    Target(
        "console-account-pending",
        "/console/accounts/account/{pending_account}/change/",
        user="helpdesk",
    ),
    Target(
        "console-account-secretariat",
        "/console/accounts/account/{account}/change/",
        user="grammateiael",
    ),
    Target("console-retire", "/console/accounts/account/{account}/retire/", user="helpdesk"),
    Target("console-staff", "/console/accounts/account/staff/", user="helpdesk"),
    Target("console-memberships", "/console/accounts/secretariatmembership/", user="helpdesk"),
    Target("console-people", "/console/people/person/", user="helpdesk"),
    Target("console-person", "/console/people/person/{person}/change/", user="helpdesk"),
    Target("console-schools", "/console/people/school/", user="helpdesk"),
    Target("console-audit", "/console/audit/auditevent/", user="helpdesk"),
    Target("console-event", "/console/audit/auditevent/{event}/change/", user="helpdesk"),
    Target("console-outbox", "/console/notifications/outboxmessage/", user="helpdesk"),
    Target(
        "console-message",
        "/console/notifications/outboxmessage/{message}/change/",
        user="helpdesk",
    ),
    Target("console-registry-runs", "/console/registry/registryrun/", user="helpdesk"),
    Target("console-review", "/console/review/reviewitem/", user="helpdesk"),
    Target(
        "console-review-item",
        "/console/review/reviewitem/{review_item}/change/",
        user="helpdesk",
    ),
]


def submit_empty(page) -> None:
    """Send the main form empty, past the browser's own checks: the server's errors show."""
    form = page.locator("main form[method=post]").first
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def wrong_password(page) -> None:
    page.fill("input[name=username]", "gpapadopoulos")
    page.fill("input[name=password]", "not the password")
    with page.expect_navigation():
        page.click("main button[type=submit]")


def refused(step):
    """The step, then a check that the page shows the server's refusal."""

    def run(page) -> None:
        step(page)
        assert page.locator("main .errorlist").count(), f"no error shown at {page.url}"

    return run


STEPS = {"submit_empty": refused(submit_empty), "wrong_password": refused(wrong_password)}


class Site:
    """The data the pages show, made through the services on the demo's people."""

    def __init__(self, settings):
        from kleidi.accounts.models import Account
        from kleidi.audit.models import AuditEvent
        from kleidi.credentials.services import reset
        from kleidi.notifications.models import OutboxMessage
        from kleidi.people.models import School
        from kleidi.people.services import create_person
        from kleidi.review.models import ReviewItem
        from kleidi.sheets.services import request_apply, upload_sheet

        school = School.objects.get(code="el")
        secretariat = Account.objects.get(username="grammateiael")
        member = Account.objects.get(username="gpapadopoulos")
        self.member = member

        def upload(rows, name):
            return upload_sheet(
                content=xlsx(table(rows)),
                filename=name,
                school=school,
                kind="postgraduate",
                actor=secretariat,
            )

        invalid = upload(
            [
                person_row(1),
                person_row(2, external_email="n.dimitriou@central.ntua.gr"),
                person_row(3, mobile="12345"),
            ],
            "dpms-errors.xlsx",
        )
        # A clean sheet above the task threshold waits in the queue: no worker runs
        # in the tests, so its progress page stays on "waiting" while it is checked.
        settings.SHEET_TASK_THRESHOLD_ROWS = 1
        queued = upload([person_row(4), person_row(5)], "dpms-clean.xlsx")
        assert request_apply(queued, actor=secretariat) is None
        valid = upload([person_row(7), person_row(8)], "dpms-ready.xlsx")
        applied = upload([person_row(9)], "dpms-one.xlsx")
        assert request_apply(applied, actor=secretariat).ok

        create_person(
            {"surname": "Θεοχάρη", "given_name": "Ελένη", "external_email": "e.old@example.com"},
            school=school,
        )
        upload(
            [
                person_row(
                    6,
                    username="etheochari",
                    surname="Θεοχάρη",
                    given_name="Ελένη",
                    father_name="",
                    mother_name="",
                    external_email="e.new@example.com",
                )
            ],
            "dpms-duplicate.xlsx",
        )
        reset.request_reset(member.username, member.person.external_email)

        self.fields = {
            "invalid_upload": invalid.pk,
            "queued_upload": queued.pk,
            "valid_upload": valid.pk,
            "applied_upload": applied.pk,
            "account": member.pk,
            "pending_account": Account.objects.get(username="el24001").pk,
            "person": member.person_id,
            "event": AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first(),
            "message": OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first(),
            "review_item": ReviewItem.objects.get().pk,
        }

    def path(self, target: Target) -> str:
        if "{set_password_link}" in target.path:
            return self.set_password_link()
        return target.path.format(**self.fields)

    def set_password_link(self) -> str:
        """A fresh single-use reset link's path (its token in clear, as the mail has it)."""
        from kleidi import linkseal
        from kleidi.credentials.models import LinkPurpose
        from kleidi.credentials.services import links

        url = linkseal.unseal(links.issue_link(self.member, LinkPurpose.RESET))
        return urlsplit(url).path


def open_page(page, live_server, site: Site, target: Target, language: str, settings):
    """Sign in as the page's user, choose the language, load the page with its own status."""
    if target.demo_only:
        # The mailbox reads DEMO_MODE on each request: the demo's page, as the demo shows it.
        settings.DEMO_MODE = True
    if target.user:
        sign_in(page, live_server, target.user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
        ]
    )
    response = page.goto(f"{live_server.url}{site.path(target)}")
    assert response is not None and response.status == target.status, (
        f"{target.name} ({language}): {response and response.status} at {page.url}"
    )
    if target.then:
        STEPS[target.then](page)
    page.wait_for_load_state("networkidle")
    lang = page.evaluate("document.documentElement.lang")
    assert lang == language, f"{target.name}: <html lang={lang!r}>, expected {language!r}"
    return response


def page_params():
    """Each page in each language, named `<page>-<language>` so a failure names both."""
    return [
        pytest.param(target, language, id=f"{target.name}-{language}")
        for target in PAGES
        for language in LANGUAGES
    ]
