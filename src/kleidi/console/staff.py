"""The console's Staff page (issue 12 §3): staff accounts, their schools and roles.

The helpdesk lists every staff account with its schools, creates a
secretariat account (pending; its welcome link goes to the external email),
grants and revokes a school membership, makes a staff account a helpdesk
operator and revokes a staff role. Each form POSTs (CSRF-checked by the
admin) to a view that calls one service of `kleidi.accounts.services.staff`
or `memberships`; refusals come back as their coded messages. Only the
helpdesk sees the page (`is_helpdesk`); anyone else gets 403.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kleidi.accounts import services
from kleidi.accounts.models import Account, AccountKind, StaffRole
from kleidi.accounts.selectors import is_helpdesk, staff_accounts
from kleidi.people.models import School
from kleidi.request import client_ip


class SecretariatForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64)
    surname = forms.CharField(label=_("Surname"), max_length=100)
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    email = forms.CharField(
        label=_("External email"),
        max_length=254,
        help_text=_("The welcome link goes here; not an institutional address."),
    )
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.all())


class MembershipForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Secretariat account"),
        queryset=Account.objects.filter(role=StaffRole.SECRETARIAT),
        to_field_name="username",
    )
    school = forms.ModelChoiceField(label=_("School"), queryset=School.objects.all())


class StaffAccountForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Staff account"),
        queryset=Account.objects.filter(kind=AccountKind.STAFF).exclude(role=StaffRole.HELPDESK),
        to_field_name="username",
    )


def staff_urls(modeladmin) -> list:
    wrap = modeladmin.admin_site.admin_view
    views = StaffViews(modeladmin)
    return [
        path("staff/", wrap(views.page), name="accounts_account_staff"),
        path("staff/create/", wrap(views.create), name="accounts_account_staff_create"),
        path("staff/grant/", wrap(views.grant), name="accounts_account_staff_grant"),
        path("staff/revoke/", wrap(views.revoke), name="accounts_account_staff_revoke"),
        path("staff/helpdesk/", wrap(views.helpdesk), name="accounts_account_staff_helpdesk"),
        path("staff/revoke-role/", wrap(views.revoke_role), name="accounts_account_staff_unrole"),
    ]


def _here() -> str:
    return reverse("admin:accounts_account_staff")


class StaffViews:
    def __init__(self, modeladmin):
        self.modeladmin = modeladmin

    def _check(self, request, *, post: bool = True):
        if not is_helpdesk(request.user):
            raise PermissionDenied
        if post and request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return None

    def _render(self, request, *, create_form=None, status=200):
        context = {
            **self.modeladmin.admin_site.each_context(request),
            "title": gettext("Staff"),
            "opts": self.modeladmin.model._meta,
            "staff": list(staff_accounts()),
            "create_form": create_form or SecretariatForm(),
            "membership_form": MembershipForm(),
            "helpdesk_form": StaffAccountForm(),
        }
        return TemplateResponse(request, "console/staff_page.html", context, status=status)

    def page(self, request):
        refused = self._check(request, post=False)
        if refused or request.method != "GET":
            return refused or HttpResponseNotAllowed(["GET"])
        return self._render(request)

    def _done(self, request, text: str):
        self.modeladmin.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(_here())

    def _refused(self, request, exc: ValidationError):
        self.modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(_here())

    def _audit(self, request) -> dict:
        return {"actor": request.user, "client_ip": client_ip(request)}

    def create(self, request):
        if refused := self._check(request):
            return refused
        form = SecretariatForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = services.create_secretariat(
                    username=data["username"],
                    surname=data["surname"],
                    given_name=data["given_name"],
                    email=data["email"],
                    schools=[data["school"]],
                    **self._audit(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                text = gettext(
                    "Secretariat account %(username)s created for %(school)s; its welcome "
                    "link went to the external email."
                ) % {"username": account.username, "school": data["school"]}
                return self._done(request, text)
        return self._render(request, create_form=form, status=400)

    def grant(self, request):
        return self._membership(
            request, services.add_membership, gettext("%(username)s now acts for %(school)s.")
        )

    def revoke(self, request):
        return self._membership(
            request,
            services.revoke_membership,
            gettext("%(username)s no longer acts for %(school)s."),
        )

    def _membership(self, request, service, done_text: str):
        """Grant or revoke one school membership: the same form, check and refusals."""
        if refused := self._check(request):
            return refused
        form = MembershipForm(request.POST)
        if not form.is_valid():
            return self._refused(request, ValidationError(list(form.errors.values())))
        account, school = form.cleaned_data["account"], form.cleaned_data["school"]
        try:
            service(account, school, **self._audit(request))
        except ValidationError as exc:
            return self._refused(request, exc)
        return self._done(request, done_text % {"username": account.username, "school": school})

    def helpdesk(self, request):
        if refused := self._check(request):
            return refused
        form = StaffAccountForm(request.POST)
        if not form.is_valid():
            return self._refused(request, ValidationError(list(form.errors.values())))
        account = form.cleaned_data["account"]
        try:
            services.make_helpdesk(account, **self._audit(request))
        except ValidationError as exc:
            return self._refused(request, exc)
        text = gettext("%(username)s is now a helpdesk operator.")
        return self._done(request, text % {"username": account.username})

    def revoke_role(self, request):
        """The staff page's button asks first: only the confirmation page's POST revokes."""
        if refused := self._check(request):
            return refused
        account = staff_accounts().filter(username=request.POST.get("account", "")).first()
        if account is None:
            return self._refused(
                request, ValidationError(gettext("No such staff account."), code="invalid")
            )
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.modeladmin.admin_site.each_context(request),
                "title": gettext("Revoke the staff role of %(username)s")
                % {"username": account.username},
                "opts": self.modeladmin.model._meta,
                "member": account,
            }
            return TemplateResponse(request, "console/staff_revoke_role.html", context)
        try:
            services.revoke_role(account, **self._audit(request))
        except ValidationError as exc:
            return self._refused(request, exc)
        text = gettext("%(username)s no longer has a staff role.")
        return self._done(request, text % {"username": account.username})
