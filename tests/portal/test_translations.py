"""Greek first: every string of every app has its Greek translation, compiled."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_service

APPS = Path(__file__).resolve().parents[2] / "src" / "kleidi"
CATALOGUES = sorted(APPS.glob("*/locale/el/LC_MESSAGES/django.po"))


def entries(po: Path):
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().split("\n")
        if any(line.startswith('msgid ""') for line in lines[:1]) and "Language:" in block:
            continue
        yield lines


def test_every_app_has_a_greek_catalogue():
    apps = {p.parts[-5] for p in CATALOGUES}
    assert {"accounts", "credentials", "people", "portal", "sheets"} <= apps


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_string_is_translated(po):
    for lines in entries(po):
        assert "#, fuzzy" not in lines, lines
        msgstr = [line for line in lines if line.startswith("msgstr")]
        if msgstr and msgstr[0] == 'msgstr ""':
            continuation = lines[lines.index(msgstr[0]) + 1 :]
            assert continuation, f"untranslated: {lines}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    require_service(bool(shutil.which("msgfmt")), "no msgfmt (gettext)")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
    assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes()
