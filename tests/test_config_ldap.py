"""R28: the directory's settings, read and refused in-process (tests/test_settings.py starts
real processes; these call the same functions directly, one case each)."""

from __future__ import annotations

import json
import os

import pytest

from kleidi.config import (
    ConfigError,
    check_ldap_settings,
    demo_directory,
    is_slapd,
    ldap_urls,
)
from kleidi.directory import slapd as private


def settings_for(tmp_path, **overrides) -> dict:
    password = tmp_path / "bind.password"
    password.write_text("secret\n", encoding="utf-8")
    password.chmod(0o600)
    values = {
        "enabled": True,
        "start_tls": False,
        "urls": ["ldaps://ldap.ntua.gr"],
        "ca_file": "",
        "bind_dn": private.SERVICE_DN,
        "base_dn": private.PEOPLE,
        "password_file": str(password),
    }
    return {**values, **overrides}


def problem(variable: str, **values) -> str:
    with pytest.raises(ConfigError) as raised:
        check_ldap_settings(**values)
    assert str(raised.value).startswith(f"{variable}: ")
    return str(raised.value).split(": ", 1)[1]


def test_r28_failover_urls_read_in_order(monkeypatch):
    monkeypatch.setenv("KLEIDI_LDAP_URL", " ldaps://a.ntua.gr:1636/ ,, ldap://127.0.0.1:389 ")
    assert ldap_urls("KLEIDI_LDAP_URL") == ["ldaps://a.ntua.gr:1636", "ldap://127.0.0.1:389"]
    monkeypatch.delenv("KLEIDI_LDAP_URL")
    assert ldap_urls("KLEIDI_LDAP_URL") == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("https://ldap.ntua.gr", "expected ldap:// or ldaps://"),
        ("ldap://", "has no host"),
        ("ldap://ldap.ntua.gr:99999", "has an invalid port"),
        ("ldap://kleidi:pw@ldap.ntua.gr", "no credentials in the URL"),
        ("ldap://ldap.ntua.gr/ou=people", "only scheme, host and port"),
        ("ldaps://a.ntua.gr,ldaps://a.ntua.gr/", "appears twice"),
    ],
)
def test_r28_bad_urls_refused(monkeypatch, value, fragment):
    monkeypatch.setenv("KLEIDI_LDAP_URL", value)
    with pytest.raises(ConfigError, match=fragment):
        ldap_urls("KLEIDI_LDAP_URL")


def test_r28_a_working_configuration_passes(tmp_path):
    check_ldap_settings(**settings_for(tmp_path))
    check_ldap_settings(**settings_for(tmp_path, urls=["ldap://ldap.ntua.gr"], start_tls=True))
    check_ldap_settings(**settings_for(tmp_path, enabled=False, password_file=""))


def test_r28_each_unworkable_setting_is_named(tmp_path, monkeypatch):
    assert problem("KLEIDI_LDAP_BIND_DN", **settings_for(tmp_path, bind_dn="")).startswith(
        "the service identity's DN"
    )
    assert problem(
        "KLEIDI_LDAP_BIND_PASSWORD_FILE", **settings_for(tmp_path, password_file="")
    ).startswith("required")
    absent = str(tmp_path / "absent")
    assert problem(
        "KLEIDI_LDAP_BIND_PASSWORD_FILE", **settings_for(tmp_path, password_file=absent)
    ) == (f"cannot read {absent}")
    values = settings_for(tmp_path)
    os.chmod(values["password_file"], 0o604)
    assert "open to other users" in problem("KLEIDI_LDAP_BIND_PASSWORD_FILE", **values)
    assert problem("KLEIDI_LDAP_CA_FILE", **settings_for(tmp_path, ca_file=absent)) == (
        f"cannot read {absent}"
    )
    tls_twice = settings_for(tmp_path, start_tls=True, urls=["ldaps://ldap.ntua.gr"])
    assert "not ldaps://" in problem("KLEIDI_LDAP_START_TLS", **tls_twice)
    clear = settings_for(tmp_path, urls=["ldap://ldap.ntua.gr"])
    assert "would be unencrypted" in problem("KLEIDI_LDAP_URL", **clear)
    for local in ("ldap://127.0.0.1", "ldap://localhost", "ldap://[::1]"):
        check_ldap_settings(**settings_for(tmp_path, urls=[local]))
    assert "not a distinguished name" in problem(
        "KLEIDI_LDAP_BASE_DN", **settings_for(tmp_path, base_dn="people")
    )
    monkeypatch.setenv("KLEIDI_LDAP_BIND_PASSWORD", "hunter2")
    assert "read from a file" in problem(
        "KLEIDI_LDAP_BIND_PASSWORD", **settings_for(tmp_path, enabled=False)
    )


def test_r28_the_demo_directory_is_used_only_while_its_slapd_runs(tmp_path):
    root = tmp_path / "demo-directory"
    assert demo_directory(tmp_path) is None  # no file
    root.mkdir()
    state = {
        "url": "ldap://127.0.0.1:3890",
        "bind_dn": private.SERVICE_DN,
        "password_file": str(root / "service.password"),
        "base_dn": private.PEOPLE,
        "pid": os.getpid(),  # alive, but pytest, not slapd
    }
    (root / "settings.json").write_text(json.dumps(state), encoding="utf-8")
    assert demo_directory(tmp_path) is None
    (root / "settings.json").write_text("{not json", encoding="utf-8")
    assert demo_directory(tmp_path) is None
    assert not is_slapd(2**22 + 12345)  # no such process


def test_r28_the_demo_directory_is_found_while_its_slapd_runs(directory, tmp_path):
    slapd = directory
    root = tmp_path / "demo-directory"
    root.mkdir()
    state = {
        "url": slapd.url,
        "bind_dn": private.SERVICE_DN,
        "password_file": str(slapd.password_file),
        "base_dn": private.PEOPLE,
        "pid": slapd.process.pid,
    }
    (root / "settings.json").write_text(json.dumps(state), encoding="utf-8")
    assert is_slapd(slapd.process.pid)
    assert demo_directory(tmp_path) == {
        "LDAP_URLS": [slapd.url],
        "LDAP_BIND_DN": private.SERVICE_DN,
        "LDAP_BIND_PASSWORD_FILE": str(slapd.password_file),
        "LDAP_BASE_DN": private.PEOPLE,
    }
