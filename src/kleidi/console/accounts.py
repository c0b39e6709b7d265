"""The helpdesk console for accounts: state changes only through the account service.

Each account's page has a directory (LDAP) panel (issue 11 §5): the state the
worker last recorded and, for the helpdesk, a "push now" POST that converges
the entry in the request. A secretariat sees the same panel read-only for
its own school's accounts (the page is school-scoped), so it can tell a
member whether the directory has their change yet; it cannot push.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kleidi.accounts import services
from kleidi.accounts.models import Account, SecretariatMembership
from kleidi.console.base import SchoolScopedAdmin
from kleidi.console.filters import (
    EffectiveStateFilter,
    ExpiresInMonthFilter,
    ExpiresWithinFilter,
    PendingOverFilter,
)
from kleidi.directory import selectors as directory
from kleidi.directory.services.push import push_now
from kleidi.request import client_ip

STATE_LABELS = {
    directory.OFF: _("off"),
    directory.NEVER: _("never synced"),
    directory.PENDING: _("changes pending"),
    directory.IN_SYNC: _("in sync"),
    directory.FAILING: _("failing"),
}


def _run(modeladmin, request, queryset, service, done_message, **kwargs):
    done = 0
    for account in queryset:
        try:
            service(account, actor=request.user, client_ip=client_ip(request), **kwargs)
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


@admin.action(description=_("Disable the selected accounts"), permissions=["change"])
def disable(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.disable_account, _("%(count)d disabled."))


@admin.action(description=_("Re-enable the selected accounts"), permissions=["change"])
def enable(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.enable_account, _("%(count)d re-enabled."))


@admin.action(description=_("Retire the selected accounts (for ever)"), permissions=["change"])
def retire(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.retire_account, _("%(count)d retired."))


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
    search_fields = ("username",)
    search_help_text = _("Username, name (accents and case ignored), email or registration number")
    actions = [disable, enable, retire]
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
            path(
                "<path:object_id>/directory-push/",
                wrap(self.directory_push_view),
                name="accounts_account_directory_push",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The directory panel, from the account the admin already fetched (one query less)."""
        if obj is not None:
            context["directory"] = directory.account_status(obj)
            context["directory_label"] = STATE_LABELS[context["directory"].state]
            context["can_push"] = settings.LDAP_ENABLED and self._may_push(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

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

    def save_model(self, request, obj, form, change):
        obj.pk = services.add_membership(
            obj.account, obj.school, actor=request.user, client_ip=client_ip(request)
        ).pk

    def delete_model(self, request, obj):
        services.remove_membership(obj, actor=request.user, client_ip=client_ip(request))

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("account", "school"):
            self.delete_model(request, membership)
