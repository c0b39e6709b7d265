"""Language choice (Greek first), request body limits, no-store for personal pages."""

from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape

from kleidi.errors import message
from kleidi.language import resolve

# Views that legitimately take more than a form's worth, and only from staff.
STAFF_UPLOAD_VIEWS = frozenset({"sheets:index"})


class GreekFirstLocaleMiddleware(LocaleMiddleware):
    """Greek by default, English (or another configured language) by explicit choice.

    Django's LocaleMiddleware follows the browser's Accept-Language, so most
    members (whose browsers say en-US) would land on English pages. Kleidi is
    a Greek institution's portal: the language switch sets a cookie, and only
    that cookie changes the language.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def body_limit(request) -> int:
    """The most bytes this request's endpoint can need from this requester."""
    match = request.resolver_match
    view = match.view_name if match else ""
    user = getattr(request, "user", None)
    if view in STAFF_UPLOAD_VIEWS and user is not None and user.is_staff:
        return settings.UPLOAD_BODY_MAX_BYTES
    return settings.FORM_BODY_MAX_BYTES


def _refuse(status: int, code: str, params: dict | None = None) -> HttpResponse:
    text = escape(message(code, params))
    language = resolve()
    page = (
        f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
        f"<title>{text}</title><p>{text}</p></html>"
    )
    return HttpResponse(page, status=status)


class BodyLimitMiddleware:
    """Refuse a body larger than its endpoint can need before anything reads it (§6).

    Runs as a view hook placed before CSRF (whose check is the first to read
    `request.POST`), when the URL is resolved and the requester known, so an
    anonymous 100 MB multipart body is answered 413 from its headers, never
    parsed or spooled to disk. A body without Content-Length (chunked) is
    refused with 411: Django would read it as empty anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw.strip():
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                return _refuse(411, "request.length_required")
            return None
        try:
            length = int(raw)
        except ValueError:
            return _refuse(411, "request.length_required")
        limit = body_limit(request)
        if length > limit:
            return _refuse(413, "request.too_large", {"max_kb": limit // 1024})
        return None


class NoStoreWhenSignedInMiddleware:
    """Every page a signed-in user sees is personal: no browser or proxy may store it.

    Covers `/account/`, `/sheets/...` (pages and result files) and the
    console at once, so a page added later cannot forget it. Pages that are
    personal without a sign-in (the password links, the demo mailbox) say so
    themselves with `never_cache`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
