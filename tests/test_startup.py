"""`kleidi` starts without the parsers and dictionaries: they load on first use.

Timings are in bench/startup.py and docs/performance.md, never asserted here;
what a test can check is which modules a fresh process has imported. That the
lazy imports work when used is what the tests of the sheets, the contact checks
(tests/people) and gunicorn's access log (tests/portal/test_access_logs.py) run.
"""

import json
import os
import subprocess
import sys

import pytest

LOADED_ON_FIRST_USE = (
    "zxcvbn",
    "python_calamine",
    "openpyxl",
    "phonenumbers",
    "email_validator",
    "gunicorn",
    "kleidi.text.dictionaries",
    "kleidi.text.strength",
)

# What every `kleidi` command does before its own work, then a command module.
PROBE = """
import json, sys
import django
from django.core.management import get_commands, load_command_class
django.setup()
get_commands()
for name in {commands!r}:
    load_command_class(get_commands()[name], name)
print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))
"""


def loaded(tmp_path, *commands: str) -> list[str]:
    code = PROBE.format(commands=commands, modules=LOADED_ON_FIRST_USE)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kleidi.settings"}
    env["KLEIDI_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_settings_and_apps_load_no_parser_nor_dictionary(tmp_path):
    assert loaded(tmp_path) == []


@pytest.mark.parametrize("command", ["sheet", "outbox", "expire_accounts", "demo"])
def test_a_command_loads_them_only_when_it_uses_them(tmp_path, command):
    assert loaded(tmp_path, command) == []
