"""Language choice (Greek unless chosen otherwise); no-store for personal pages."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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
