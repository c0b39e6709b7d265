"""The helpdesk console for accounts: state changes only through the account service.

The account's page acts (issue 12 §2): disable and enable with a reason, a
new activation or reset link to the external email on record, retire after a
confirmation page (the username typed again, and a reason), and the account's
own audit timeline. Each is a POST (CSRF-checked by the admin) to a small view
that finds the account within the operator's scope (another school's account
is "not found"), checks `accounts.change_account` (the helpdesk; a
secretariat reads the page but has no forms), and calls one service. The
page has no Save button: nothing on it is saved by the admin's form.

The list has no bulk state actions: each change needs its own reason, and
retiring its own confirmation, so they live on the account's page.

Each account's page has a directory (LDAP) panel (issue 11 §5): the state the
worker last recorded and, for the helpdesk, a "push now" POST that converges
the entry in the request. A secretariat sees the same panel read-only for
its own school's accounts (the page is school-scoped), so it can tell a
member whether the directory has their change yet; it cannot push.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kleidi.accounts import services
from kleidi.accounts.models import Account, AccountState, SecretariatMembership, StaffRole
from kleidi.accounts.selectors import is_helpdesk
from kleidi.audit.selectors import action_label, events_for
from kleidi.console.base import SchoolScopedAdmin
from kleidi.console.filters import (
    EffectiveStateFilter,
    ExpiresInMonthFilter,
    ExpiresWithinFilter,
    PendingOverFilter,
)
from kleidi.console.staff import staff_urls
from kleidi.credentials.models import LinkPurpose
from kleidi.credentials.services.helpdesk import PURPOSE_BY_STATE, mask_email, send_link_for
from kleidi.directory import selectors as directory
from kleidi.directory.services.push import push_now
from kleidi.errors import message
from kleidi.people.models import Person
from kleidi.request import client_ip

STATE_LABELS = {
    directory.OFF: _("off"),
    directory.NEVER: _("never synced"),
    directory.PENDING: _("changes pending"),
    directory.IN_SYNC: _("in sync"),
    directory.FAILING: _("failing"),
}


class DirectoryFilter(admin.SimpleListFilter):
    """Accounts by directory state; absent while the connector is off."""

    title = _("directory (LDAP)")
    parameter_name = "directory"

    def lookups(self, request, model_admin):
        if not settings.LDAP_ENABLED:
            return []
        return [(key, STATE_LABELS[key]) for key in directory.STATES]

    def queryset(self, request, queryset):
        if not settings.LDAP_ENABLED or self.value() not in directory.STATES:
            return queryset
        return directory.filter_state(queryset, self.value())


@admin.register(Account)
class AccountAdmin(SchoolScopedAdmin):
    list_display = ("username", "kind", "state", "school", "expires_at", "role")
    list_filter = (
        "state",
        EffectiveStateFilter,
        ExpiresWithinFilter,
        ExpiresInMonthFilter,
        PendingOverFilter,
        "kind",
        "school",
        "role",
        DirectoryFilter,
    )
    change_form_template = "console/account_change_form.html"
    change_list_template = "console/account_change_list.html"
    search_fields = ("username",)
    search_help_text = _("Username, name (accents and case ignored), email or registration number")
    actions = None
    readonly_fields = [
        "username",
        "kind",
        "person",
        "affiliation",
        "school",
        "state",
        "expires_at",
        "role",
        "created_at",
        "state_changed_at",
        "password_changed_at",
        "last_login",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("school", "person")
        return directory.with_state(queryset) if settings.LDAP_ENABLED else queryset

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (*shown, "directory_column") if settings.LDAP_ENABLED else shown

    @admin.display(description=_("directory (LDAP)"))
    def directory_column(self, account):
        return STATE_LABELS[directory.row_state(account)]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            *staff_urls(self),
            path(
                "<path:object_id>/directory-push/",
                wrap(self.directory_push_view),
                name="accounts_account_directory_push",
            ),
            path(
                "<path:object_id>/disable/",
                wrap(self.disable_view),
                name="accounts_account_disable",
            ),
            path(
                "<path:object_id>/enable/",
                wrap(self.enable_view),
                name="accounts_account_enable",
            ),
            path(
                "<path:object_id>/send-link/",
                wrap(self.send_link_view),
                name="accounts_account_send_link",
            ),
            path(
                "<path:object_id>/retire/",
                wrap(self.retire_view),
                name="accounts_account_retire",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The directory panel, the actions and the timeline; no Save (nothing here saves)."""
        if obj is not None:
            context["directory"] = directory.account_status(obj)
            context["directory_label"] = STATE_LABELS[context["directory"].state]
            context["can_push"] = settings.LDAP_ENABLED and self._may_push(request)
            context.update(
                _actions_context(
                    obj, may_act=self._may_push(request), own=obj.pk == request.user.pk
                )
            )
            context["timeline"] = timeline(obj)
        context.update(show_save=False, show_save_and_continue=False, show_delete=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "staff_page": is_helpdesk(request.user)}
        return super().changelist_view(request, extra_context)

    def _acting_on(self, request, object_id) -> Account:
        """The account within the operator's scope (else 404), for an operator who may act."""
        account = self.get_object(request, unquote(object_id))
        if account is None:
            raise Http404(gettext("No such account."))
        if not self._may_push(request):
            raise PermissionDenied
        return account

    def _state_change(self, request, object_id, service, done):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        account = self._acting_on(request, object_id)
        try:
            service(
                account,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                client_ip=client_ip(request),
            )
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, done % {"username": account.username}, messages.SUCCESS)
        return HttpResponseRedirect(_page(account))

    def disable_view(self, request, object_id):
        done = gettext("Account %(username)s is disabled; the reason is in its timeline.")
        return self._state_change(request, object_id, services.disable_account, done)

    def enable_view(self, request, object_id):
        done = gettext("Account %(username)s is enabled again; the reason is in its timeline.")
        return self._state_change(request, object_id, services.enable_account, done)

    def send_link_view(self, request, object_id):
        """A new activation or reset link to the email on record; a double click sends one."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        account = self._acting_on(request, object_id)
        try:
            outcome = send_link_for(account, actor=request.user, client_ip=client_ip(request))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, _link_message(outcome), messages.SUCCESS)
        return HttpResponseRedirect(_page(account))

    def retire_view(self, request, object_id):
        """GET: what retiring means, with the username to type; POST: retire with a reason."""
        account = self._acting_on(request, object_id)
        problems = []
        if request.method == "POST" and account.state == AccountState.RETIRED:
            done = gettext("Account %(username)s is retired for ever.")
            self.message_user(request, done % {"username": account.username}, messages.INFO)
            return HttpResponseRedirect(_page(account))  # a second click of the first retire
        if request.method == "POST":
            typed = request.POST.get("confirm_username", "").strip()
            if typed.lower() != account.username.lower():
                problems.append(message("account.confirm_username", {"username": account.username}))
            else:
                try:
                    services.retire_account(
                        account,
                        actor=request.user,
                        reason=request.POST.get("reason", ""),
                        client_ip=client_ip(request),
                    )
                except ValidationError as exc:
                    problems.extend(exc.messages)
                else:
                    done = gettext("Account %(username)s is retired for ever.")
                    self.message_user(
                        request, done % {"username": account.username}, messages.SUCCESS
                    )
                    return HttpResponseRedirect(_page(account))
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Retire account %(username)s") % {"username": account.username},
            "opts": self.model._meta,
            "original": account,
            "problems": problems,
            "reason": request.POST.get("reason", ""),
            "already_retired": account.state == AccountState.RETIRED,
            "reason_chars": services.REASON_CHARS,
        }
        return TemplateResponse(request, "console/account_retire.html", context)

    @staticmethod
    def _may_push(request) -> bool:
        return request.user.has_perm("accounts.change_account")

    def directory_push_view(self, request, object_id):
        """POST only (CSRF-checked by the admin); the helpdesk, within its scope."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._may_push(request):
            raise PermissionDenied
        account = self.get_object(request, unquote(object_id))
        if account is None:
            raise Http404(gettext("No such account."))
        here = reverse("admin:accounts_account_change", args=[account.pk])
        try:
            drift = push_now(account, actor=request.user, client_ip=client_ip(request))
        except ValidationError as exc:
            self.message_user(request, _push_failed(exc), messages.ERROR)
        else:
            self.message_user(request, _pushed(drift), messages.SUCCESS)
        return HttpResponseRedirect(here)

    def get_search_results(self, request, queryset, search_term):
        from kleidi.people.selectors import search_people

        if not search_term.strip():
            return queryset, False
        people = search_people(search_term)
        by_person = queryset.filter(person__in=people)
        by_name = queryset.filter(username__icontains=search_term.strip())
        return (by_person | by_name).distinct(), True

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Fields are read-only; "change" here means the state actions.
        return request.user.has_perm("accounts.change_account")

    def save_model(self, request, obj, form, change):
        """Nothing to save: every field is read-only, and the account service is its writer."""


def _page(account: Account) -> str:
    return reverse("admin:accounts_account_change", args=[account.pk])


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _link_message(outcome) -> str:
    params = {"to": outcome.to, "time": _when(outcome.at)}
    if not outcome.sent:
        return (
            gettext(
                "A link was already sent to %(to)s at %(time)s, less than a minute ago; "
                "nothing more was sent."
            )
            % params
        )
    if outcome.purpose == LinkPurpose.ACTIVATION:
        return gettext("A new activation link was sent to %(to)s.") % params
    return gettext("A password reset link was sent to %(to)s.") % params


def _actions_context(account: Account, *, may_act: bool, own: bool = False) -> dict:
    """Which of the page's forms to show: only those the account's state allows.

    On the operator's own page there is no disable nor retire (`account.self`).
    """
    state = account.effective_state
    link_purpose = PURPOSE_BY_STATE.get(state)
    return {
        "may_act": may_act,
        "own": own,
        "can_disable": not own and state not in (AccountState.DISABLED, AccountState.RETIRED),
        "can_enable": account.state == AccountState.DISABLED,
        "can_retire": not own and state != AccountState.RETIRED,
        "link_purpose": link_purpose.value if link_purpose else "",
        "link_to": mask_email(account.email) if account.email else "",
        "reason_chars": services.REASON_CHARS,
    }


# Details worth a line in the timeline, in this order.
TIMELINE_DETAILS = ("reason", "purpose", "to", "school", "role")


def _field_label(name: str) -> str:
    try:
        return str(Person._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def timeline(account: Account) -> list[dict]:
    """The account's and its person's events, newest first, each with its label and a summary.

    R2's changes to the person (a new external email, a corrected name) are
    audited against the Person, so they are read with the account's (one query).
    """
    states = dict(AccountState.choices)
    purposes = dict(LinkPurpose.choices)
    targets = (account, Person(pk=account.person_id)) if account.person_id else (account,)
    rows = []
    for event in events_for(*targets):
        details = event.details or {}
        parts = []
        if isinstance(details.get("changes"), dict):
            parts.append(", ".join(_field_label(name) for name in details["changes"]))
        if "from" in details and "to" in details and details["from"] in states:
            parts.append(f"{states[details['from']]} → {states.get(details['to'], details['to'])}")
        for key in TIMELINE_DETAILS:
            value = details.get(key)
            if not value or (key == "to" and "from" in details):
                continue
            if key == "reason" and event.action == "link.issued":
                continue  # a machine word ("created", "helpdesk"); the actor column says who
            if key == "purpose":
                value = purposes.get(value, value)
            parts.append(str(value))
        rows.append({"event": event, "label": action_label(event.action), "summary": parts})
    return rows


def _pushed(drift) -> str:
    if drift.in_sync:
        return gettext("The directory entry was already in sync; nothing needed changing.")
    if drift.missing:
        return gettext("The directory entry was missing; it has been created.")
    changes = list(drift.attributes)
    if drift.lock == "lock":
        changes.append(gettext("lock"))
    elif drift.lock == "unlock":
        changes.append(gettext("unlock"))
    return gettext("The directory entry has been corrected: %(changes)s.") % {
        "changes": ", ".join(changes)
    }


def _push_failed(exc: ValidationError) -> str:
    if getattr(exc, "code", None) == "directory.unavailable":
        return gettext(
            "The directory is not answering; nothing changed there. The change stays "
            "queued and the worker will try again."
        )
    return " ".join(exc.messages)


@admin.register(SecretariatMembership)
class SecretariatMembershipAdmin(admin.ModelAdmin):
    list_display = ("account", "school")
    list_filter = ("school",)
    autocomplete_fields = ()
    raw_id_fields = ("account",)

    def has_change_permission(self, request, obj=None):
        return False  # a membership is added or removed, through the account service

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Only a secretariat account holds memberships (`staff.not_secretariat`)."""
        if db_field.name == "account":
            kwargs["queryset"] = Account.objects.filter(role=StaffRole.SECRETARIAT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = services.add_membership(
            obj.account, obj.school, actor=request.user, client_ip=client_ip(request)
        ).pk

    def delete_model(self, request, obj):
        services.remove_membership(obj, actor=request.user, client_ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("account", "school"):
            self.delete_model(request, membership)
