"""The helpdesk console for accounts: state changes only through the account service."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kleidi.accounts import services
from kleidi.accounts.models import Account, SecretariatMembership
from kleidi.console.base import SchoolScopedAdmin
from kleidi.request import client_ip


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


@admin.register(Account)
class AccountAdmin(SchoolScopedAdmin):
    list_display = ("username", "kind", "state", "school", "expires_at", "role")
    list_filter = ("state", "kind", "school", "role")
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
        return super().get_queryset(request).select_related("school", "person")

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
