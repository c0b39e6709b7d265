"""Language choice: Greek unless the reader has chosen otherwise."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
