"""One helper picks Greek or English for every layer (kleidi.language)."""

import pytest
from django.utils import translation

from kleidi.language import pick, resolve


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("en", "en"), ("en-gb", "en"), ("EN-US", "en"), ("el", "el"), ("de", "el"), ("", "el")],
)
def test_one_helper_picks_greek_or_english(requested, expected):
    with translation.override("el"):
        assert resolve(requested) == expected
        assert pick(("ελληνικά", "english"), requested) == (
            "english" if expected == "en" else "ελληνικά"
        )


def test_no_language_asked_means_the_active_one():
    with translation.override("en-gb"):
        assert resolve() == "en"
    with translation.override("el"):
        assert resolve() == "el"
    with translation.override(None):
        assert resolve() == "el"
