"""Credential pages (R23–R27): parse, call one service, render.

Link tokens leave the URL at once: `/password/link/<token>/` keeps only the
token's hash, in a cookie signed with SECRET_KEY, and redirects to
`/password/set/`, so the token lingers in neither the browser's history nor a
Referer header. The flow writes no session row: a database copy holds
nothing a thief could present as that cookie, and anonymous visits leave
nothing behind to purge.

The page whose URL holds the token answers with `Referrer-Policy:
no-referrer` (the browser applies it to the redirect too); the pages after it
carry no token in their URL and keep the site's `same-origin` policy, because
under `no-referrer` browsers send `Origin: null` with a form's POST, which
CSRF protection must refuse. None of them is ever cached.
"""

import datetime as dt
from functools import wraps

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kleidi.accounts.models import AccountState
from kleidi.credentials import ratelimit
from kleidi.credentials.feedback import advice, level_label
from kleidi.credentials.forms import (
    PASSWORD_FIELD_MAX,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    normalise_password,
)
from kleidi.credentials.models import LinkPurpose
from kleidi.credentials.services import links, passwords, reset, signin
from kleidi.credentials.validators import check_password_policy
from kleidi.errors import codes_of, error, message, text
from kleidi.request import client_ip

LINK_COOKIE = "kleidi_link"  # the token's hash, signed; never the token, never a session row
DONE_COOKIE = "kleidi_link_done"
DONE_SECONDS = 600
SESSION_DONE = "credentials.done"
MAX_TOKEN_CHARS = 128
ACCOUNT_BACKEND = "kleidi.accounts.backends.AccountBackend"


def no_referrer(view):
    """No Referer leaves the page whose URL holds a token, and no cache keeps it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return never_cache(wrapper)


def rate_limited(request, exc: ratelimit.RateLimited):
    retry_at = timezone.localtime(timezone.now() + dt.timedelta(seconds=exc.retry_after))
    response = render(
        request,
        "credentials/rate_limited.html",
        {"message": text(exc), "retry_at": retry_at},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


# --------------------------------------------------------------------------
# Forgot password (R23)


@never_cache
@require_http_methods(["GET", "POST"])
def forgot(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = reset.request_reset(
                form.cleaned_data["username"],
                form.cleaned_data["email"],
                client_ip=client_ip(request),
            )
        except ratelimit.RateLimited as exc:
            return rate_limited(request, exc)
        if outcome.sent or not settings.RESET_DISCLOSE_MISMATCH:
            return redirect("password-forgot-sent")
        form.add_error(None, error("reset.mismatch"))
    return render(request, "credentials/forgot.html", {"form": form})


@never_cache
@require_GET
def forgot_sent(request):
    return render(request, "credentials/forgot_sent.html", {"minutes": settings.RESET_LINK_MINUTES})


# --------------------------------------------------------------------------
# Links and the set-password page (R24–R26)


def _set_flow_cookie(response, name: str, value: str, max_age: int) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=name,
        max_age=max_age,
        path=f"{get_script_prefix()}password/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _flow_cookie(request, name: str, max_age: int) -> str | None:
    return request.get_signed_cookie(name, default=None, salt=name, max_age=max_age)


def _drop_flow_cookie(response, name: str) -> None:
    response.delete_cookie(name, path=f"{get_script_prefix()}password/", samesite="Lax")


def _link_hash(request) -> str | None:
    """The hash of the link this browser opened, if its signed cookie is genuine and fresh."""
    return _flow_cookie(request, LINK_COOKIE, settings.SESSION_COOKIE_AGE)


@no_referrer
@require_GET
def link(request, token):
    """Move the token from the URL into a signed cookie (as its hash) and redirect."""
    token_hash = links.hash_token(token) if len(token) <= MAX_TOKEN_CHARS else ""
    response = redirect("password-set")
    _set_flow_cookie(response, LINK_COOKIE, token_hash, settings.SESSION_COOKIE_AGE)
    return response


def _password_context(form) -> dict:
    """The form, the policy in words, and advice for a refused password (no JavaScript)."""
    return {
        "form": form,
        "policy_help": " ".join(password_validators_help_texts()),
        "feedback": form.tips,
    }


def _invalid_link(request):
    response = render(
        request,
        "credentials/link_invalid.html",
        {
            "message": message("link.invalid"),
            "days": settings.ACTIVATION_LINK_DAYS,
            "minutes": settings.RESET_LINK_MINUTES,
        },
        status=410,
    )
    _drop_flow_cookie(response, LINK_COOKIE)
    return response


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def set_password(request):
    token = links.usable_link(_link_hash(request))
    if token is None:
        return _invalid_link(request)
    account = token.account
    activation = token.purpose == LinkPurpose.ACTIVATION or account.state == AccountState.PENDING
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.complete_link(
                token.token_hash, form.cleaned_data["new_password1"], client_ip=client_ip(request)
            )
        except ValidationError as exc:
            if "link.invalid" in codes_of(exc):
                return _invalid_link(request)
            form.add_error(None, exc)
        else:
            response = redirect("password-set-done")
            _drop_flow_cookie(response, LINK_COOKIE)
            purpose = "activation" if activation else "reset"
            _set_flow_cookie(response, DONE_COOKIE, purpose, DONE_SECONDS)
            return response
    return render(
        request,
        "credentials/set_password.html",
        {**_password_context(form), "account": account, "activation": activation},
    )


@never_cache
@require_GET
def set_done(request):
    purpose = _flow_cookie(request, DONE_COOKIE, DONE_SECONDS)
    if purpose not in ("activation", "reset"):
        return redirect("login")
    response = render(request, "credentials/set_done.html", {"purpose": purpose})
    _drop_flow_cookie(response, DONE_COOKIE)
    return response


# --------------------------------------------------------------------------
# The live meter (R25)


def _meter_account(request):
    if request.user.is_authenticated:
        return request.user
    token = links.usable_link(_link_hash(request))
    return token.account if token else None


@never_cache
@sensitive_variables("password")
@sensitive_post_parameters("password")
@require_POST
def strength(request):
    """The meter asks here as the member types; the same policy decides on submit."""
    try:
        ratelimit.hit(
            [
                ratelimit.Limit(
                    "strength-address",
                    client_ip(request) or "-",
                    settings.STRENGTH_RATE_PER_ADDRESS,
                )
            ]
        )
    except ratelimit.RateLimited as exc:
        response = JsonResponse(
            {
                "error": {
                    "code": "rate.limited",
                    "message": text(exc),
                },
                "retry_after": exc.retry_after,
            },
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    password = request.POST.get("password", "")
    if len(password) > PASSWORD_FIELD_MAX:
        password = password[: PASSWORD_FIELD_MAX + 1]
    verdict = check_password_policy(normalise_password(password), _meter_account(request))
    estimate = verdict.estimate
    found = advice(verdict)
    return JsonResponse(
        {
            "level": verdict.level,
            "label": level_label(verdict.level),
            "acceptable": verdict.acceptable,
            "guesses": estimate.guesses if estimate else 0,
            "guesses_log10": round(estimate.log10, 1) if estimate else 0,
            "errors": [{"code": e.code, "message": text(e)} for e in verdict.errors],
            # One reason and one tip, what the meter shows (issue 12 §8).
            "feedback": found.as_list() if found else [],
        }
    )


# --------------------------------------------------------------------------
# Sign-in and change (R27)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        try:
            account = signin.sign_in(
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                client_ip=client_ip(request),
            )
        except ratelimit.RateLimited as exc:
            return rate_limited(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            auth_login(request, account, backend=ACCOUNT_BACKEND)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "credentials/login.html", {"form": form, "next": next_url})


@never_cache
@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def change_password(request):
    account = request.user
    form = ChangePasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            signin.check_current_password(
                account, form.cleaned_data["current_password"], client_ip=ip
            )
            account = passwords.change_password(
                account, form.cleaned_data["new_password1"], client_ip=ip
            )
        except ratelimit.RateLimited as exc:
            return rate_limited(request, exc)
        except ValidationError as exc:
            field = "current_password" if "password.incorrect" in codes_of(exc) else None
            form.add_error(field, exc)
        else:
            # This session stays; every other session of the account ends.
            update_session_auth_hash(request, account)
            request.session[SESSION_DONE] = "change"
            return redirect("password-change-done")
    return render(request, "credentials/change_password.html", _password_context(form))


@never_cache
@login_required
@require_GET
def change_done(request):
    if request.session.pop(SESSION_DONE, None) != "change":
        return redirect("account")
    return render(request, "credentials/change_done.html")
