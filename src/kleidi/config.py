"""Reading Kleidi's configuration from the environment.

Each reader names the variable it reads, so a bad value stops start-up with a
message that says which variable to fix (docs/configuration.md lists them).
"""

import ipaddress
import json
import os
import re
import stat
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A configuration variable has a value Kleidi cannot use."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name}: {problem}")
        self.name = name


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(name, f"must be at least {minimum}{upper}, got {value}")
    return value


def env_share(name: str, default: float) -> float:
    """A share between 0 and 1 (0.05 is 5 %)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(name, f"expected a share such as 0.05, got {raw!r}") from None
    if not 0 <= value <= 1:
        raise ConfigError(name, f"must be between 0 and 1 (0.05 is 5 %), got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip().lower() for item in raw.split(",") if item.strip()]


def env_regex(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(name, f"not a valid regular expression: {exc}") from None
    return value


def env_int_list(
    name: str, default: list[int], *, minimum: int = 0, maximum: int | None = None
) -> list[int]:
    """Comma-separated whole numbers; a bad or repeated entry stops start-up, none is dropped."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    values: list[int] = []
    for item in raw.split(","):
        entry = item.strip()
        try:
            value = int(entry)
        except ValueError:
            raise ConfigError(
                name, f"expected whole numbers separated by commas, got {entry!r}"
            ) from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ConfigError(name, f"each must be at least {minimum}{upper}, got {value}")
        if value in values:
            raise ConfigError(name, f"{value} appears twice")
        values.append(value)
    return values


def env_url(
    name: str, default: str, *, schemes: tuple[str, ...], query: bool = False
) -> SplitResult:
    """A URL with one of `schemes` and a host (a path for unix sockets), parsed by urllib.

    Refused: another scheme, no host, a bad port, a fragment, and a query
    unless `query` allows one. The result keeps no trailing slash.
    """
    value = env_str(name, default)
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ConfigError(name, f"expected a URL starting with {wanted}")
    if parts.scheme == "unix" and not parts.path:
        raise ConfigError(name, "a unix:// URL needs the socket's path")
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError(name, f"{value!r} has no host")
    try:
        _ = parts.port  # urllib checks the port when it is read
    except ValueError:
        raise ConfigError(name, f"{value!r} has an invalid port") from None
    if parts.fragment or value.endswith("#"):
        raise ConfigError(name, "must not have a #fragment")
    if not query and (parts.query or "?" in value):
        raise ConfigError(name, "must not have a ?query")
    return parts._replace(path=parts.path.rstrip("/"))


def env_domains(name: str, default: list[str]) -> list[str]:
    domains = env_list(name, default)
    pattern = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    for domain in domains:
        if not pattern.match(domain):
            raise ConfigError(name, f"{domain!r} is not a domain name")
    return domains


def ldap_urls(name: str) -> list[str]:
    """The directory's servers, tried in order (failover): `ldap://` or `ldaps://`, comma-separated.

    Empty: the directory is off. Each URL names a host (and a port); a path,
    query or credentials in a URL are refused, so nothing secret hides there.
    """
    raw = env_str(name)
    urls: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("ldap", "ldaps"):
            raise ConfigError(name, f"{item!r}: expected ldap:// or ldaps://")
        if not parts.hostname:
            raise ConfigError(name, f"{item!r} has no host")
        try:
            _ = parts.port
        except ValueError:
            raise ConfigError(name, f"{item!r} has an invalid port") from None
        if parts.username or parts.password:
            raise ConfigError(name, f"{item!r}: no credentials in the URL (use the password file)")
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ConfigError(name, f"{item!r}: only scheme, host and port")
        url = f"{parts.scheme}://{parts.netloc}"
        if url in urls:
            raise ConfigError(name, f"{url} appears twice")
        urls.append(url)
    return urls


def check_ldap_settings(
    *,
    enabled: bool,
    start_tls: bool,
    urls: list[str],
    ca_file: str,
    bind_dn: str,
    base_dn: str,
    password_file: str,
) -> None:
    """Refuse, at start-up, a directory configuration that cannot work or would leak.

    The bind password never comes from the environment (a process's
    environment is readable by the same user and lands in crash reports).
    """
    if os.environ.get("KLEIDI_LDAP_BIND_PASSWORD"):
        raise ConfigError(
            "KLEIDI_LDAP_BIND_PASSWORD",
            "the bind password is read from a file: set KLEIDI_LDAP_BIND_PASSWORD_FILE",
        )
    if not enabled:
        return
    if not bind_dn:
        raise ConfigError("KLEIDI_LDAP_BIND_DN", "the service identity's DN is required")
    if not password_file:
        raise ConfigError("KLEIDI_LDAP_BIND_PASSWORD_FILE", "required when KLEIDI_LDAP_URL is set")
    if not os.path.isfile(password_file) or not os.access(password_file, os.R_OK):
        raise ConfigError("KLEIDI_LDAP_BIND_PASSWORD_FILE", f"cannot read {password_file}")
    if os.stat(password_file).st_mode & stat.S_IRWXO:
        raise ConfigError(
            "KLEIDI_LDAP_BIND_PASSWORD_FILE",
            f"{password_file} is open to other users: chmod 0600 (or 0640 for a group)",
        )
    if ca_file and (not os.path.isfile(ca_file) or not os.access(ca_file, os.R_OK)):
        raise ConfigError("KLEIDI_LDAP_CA_FILE", f"cannot read {ca_file}")
    if start_tls and any(url.startswith("ldaps://") for url in urls):
        raise ConfigError("KLEIDI_LDAP_START_TLS", "StartTLS is for ldap:// URLs, not ldaps://")
    for url in urls:
        # The bind password and every member's new password cross this connection.
        host = urlsplit(url).hostname or ""
        if url.startswith("ldap://") and not start_tls and not _loopback(host):
            raise ConfigError(
                "KLEIDI_LDAP_URL",
                f"{url} is not on this host and would be unencrypted: use ldaps:// "
                "or KLEIDI_LDAP_START_TLS=true",
            )
    for name, dn in (("KLEIDI_LDAP_BIND_DN", bind_dn), ("KLEIDI_LDAP_BASE_DN", base_dn)):
        if not _is_dn(dn):
            raise ConfigError(
                name, f"{dn!r} is not a distinguished name (e.g. ou=people,dc=ntua,dc=gr)"
            )


def _is_dn(value: str) -> bool:
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    try:
        return bool(value) and bool(parse_dn(value))
    except LDAPInvalidDnError:
        return False


def demo_directory(var_dir: Path) -> dict[str, object] | None:
    """The running demo's private slapd, from `<var>/demo-directory/settings.json`.

    `kleidi demo --directory` writes the file when its slapd is up; another
    `kleidi --demo <command>` uses the same directory while that slapd's
    process is alive (and is a slapd, not a reused process id), else none.
    """
    path = var_dir / "demo-directory" / "settings.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        pid = int(state["pid"])
        found = {
            "LDAP_URLS": [str(state["url"])],
            "LDAP_BIND_DN": str(state["bind_dn"]),
            "LDAP_BIND_PASSWORD_FILE": str(state["password_file"]),
            "LDAP_BASE_DN": str(state["base_dn"]),
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if is_slapd(pid) else None


def is_slapd(pid: int) -> bool:
    """Is `pid` a live slapd process (the demo's directory, still running)?"""
    try:
        os.kill(pid, 0)
    except (OSError, OverflowError):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return True  # no /proc here: a live process id is all there is to check
    return os.path.basename(command) == b"slapd"


def _loopback(host: str) -> bool:
    """Is `host` this machine (an address on the loopback, or localhost)?"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
