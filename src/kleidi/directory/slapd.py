"""A private OpenLDAP server (Debian's `slapd`) in a directory of its own, for tests, demo, bench.

It is a real slapd with back_mdb, the ppolicy overlay and Argon2 hashing,
configured as a university's directory would be (docs/directory.md): the
people base, a password policy, and Kleidi's service identity, which may
write `userPassword` but is *not* a password administrator (no `manage`
access), so the directory's own length and history checks apply to every
password Kleidi sets. The schema files in `kleidi/directory/schema/`
(eduPerson, SCHAC) are loaded after Debian's core, cosine, inetorgperson and nis.

With `tls=True` it also has a certificate from a CA of its own (made with the
`openssl` CLI in its root, for 127.0.0.1 and localhost): StartTLS on the
`ldap://` port and `ldaps://` on a second port; `.ca_file` is the CA to trust.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from kleidi.config import is_slapd

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
SYSTEM_SCHEMA = ("core", "cosine", "inetorgperson", "nis")
SUFFIX = "dc=ntua,dc=gr"
PEOPLE = f"ou=people,{SUFFIX}"
SERVICE_DN = f"cn=kleidi,ou=services,{SUFFIX}"
ADMIN_DN = f"cn=admin,{SUFFIX}"
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"


def available() -> bool:
    """Are Debian's slapd and its tools installed here?"""
    return all(
        shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists() for tool in ("slapd", "slapadd")
    )


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)  # noqa: S603 (our own tools)


def make_ca(directory: Path, name: str = "Kleidi test CA") -> tuple[Path, Path]:
    """A self-signed CA (certificate, key) in `directory`: for the private slapd and for tests."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca.pem", directory / "ca.key"
    _run(
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def make_server_certificate(directory: Path, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    """A server certificate (certificate, key) for 127.0.0.1 and localhost, signed by `ca`."""
    cert, key, request = (
        directory / "server.pem",
        directory / "server.key",
        directory / "server.csr",
    )
    extensions = directory / "server.ext"
    extensions.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        encoding="utf-8",
    )
    _run(
        "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(request), "-subj", "/CN=localhost",
    )  # fmt: skip
    _run(
        "openssl", "x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
        "-CAcreateserial", "-out", str(cert), "-days", "3650", "-extfile", str(extensions),
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def running_pid(root: Path) -> int | None:
    """The process id of a slapd still running from `root` (its pid file), or None."""
    try:
        pid = int((root / "slapd.pid").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if is_slapd(pid) else None


def _free_or_new(port: int) -> int:
    """`port` again if nothing listens there (slapd, like this check, reuses TIME_WAIT ports)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", int(port)))
        except OSError:
            return free_port()
    return int(port)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class Policy:
    """The default password policy (slapo-ppolicy(5)); the tests' and the demo's."""

    min_length: int = 8
    in_history: int = 5
    max_failure: int = 3

    def ldif(self) -> str:
        return f"""dn: {POLICY_DN}
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMaxFailure: {self.max_failure}
pwdLockout: TRUE
pwdLockoutDuration: 0
pwdInHistory: {self.in_history}
pwdMinLength: {self.min_length}
pwdCheckQuality: 1
pwdAllowUserChange: TRUE
"""


@dataclass
class PrivateSlapd:
    """One slapd under `root`, on a free loopback port; `start()`, `stop()`, `kill()`."""

    root: Path
    port: int = field(default_factory=free_port)
    service_password: str = field(default_factory=lambda: os.urandom(12).hex())
    admin_password: str = field(default_factory=lambda: os.urandom(12).hex())
    policy: Policy = field(default_factory=Policy)
    tls: bool = False
    tls_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        """`ldaps://` on the second port (only with `tls=True`)."""
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        """The CA that signed this server's certificate (only with `tls=True`)."""
        return self.root / "tls" / "ca.pem"

    @property
    def listen_urls(self) -> list[str]:
        return [self.url, self.ldaps_url] if self.tls else [self.url]

    @property
    def password_file(self) -> Path:
        return self.root / "service.password"

    def settings(self) -> dict[str, object]:
        """Django settings that point Kleidi at this server."""
        return {
            "LDAP_ENABLED": True,
            "LDAP_URLS": [self.url],
            "LDAP_START_TLS": False,
            "LDAP_CA_FILE": "",
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD_FILE": str(self.password_file),
            "LDAP_BASE_DN": PEOPLE,
        }

    def environment(self) -> dict[str, str]:
        """The same as `KLEIDI_LDAP_*` variables, for a child process."""
        return {
            "KLEIDI_LDAP_URL": self.url,
            "KLEIDI_LDAP_BIND_DN": SERVICE_DN,
            "KLEIDI_LDAP_BIND_PASSWORD_FILE": str(self.password_file),
            "KLEIDI_LDAP_BASE_DN": PEOPLE,
        }

    # -- keeping a server between runs (the demo) -----------------------------------
    @property
    def _state_file(self) -> Path:
        return self.root / "slapd.json"

    def _state(self) -> dict[str, object]:
        return {
            "port": self.port,
            "tls_port": self.tls_port,
            "tls": self.tls,
            "admin_password": self.admin_password,
        }

    @classmethod
    def reopen(cls, root: Path, **options) -> PrivateSlapd:
        """The server built earlier under `root`, with its data and passwords, or a new one.

        Its old ports are used again when they are free. Refuses a root whose
        slapd is still running (another demo, or one left behind).
        """
        if (pid := running_pid(root)) is not None:
            raise RuntimeError(f"a slapd (pid {pid}) is already running in {root}")
        try:
            state = json.loads((root / "slapd.json").read_text(encoding="utf-8"))
            service_password = (root / "service.password").read_text(encoding="utf-8").strip()
            if not (root / "slapd.d").is_dir():
                raise ValueError("not built")
        except (OSError, ValueError):
            return cls(root, **options)
        return cls(
            root,
            port=_free_or_new(state["port"]),
            tls_port=_free_or_new(state["tls_port"]),
            tls=bool(state["tls"]),
            service_password=service_password,
            admin_password=str(state["admin_password"]),
            **options,
        )

    # -- building -----------------------------------------------------------------
    def _config_ldif(self) -> str:
        includes = [f"include: file:///etc/ldap/schema/{name}.ldif" for name in SYSTEM_SCHEMA]
        includes += [f"include: file://{path}" for path in sorted(SCHEMA_DIR.glob("*.ldif"))]
        service = SERVICE_DN
        tls = self.root / "tls"
        # GnuTLS (Debian's slapd): 3.3 is TLS 1.2, the oldest version offered.
        tls_config = (
            f"olcTLSCACertificateFile: {tls}/ca.pem\n"
            f"olcTLSCertificateFile: {tls}/server.pem\n"
            f"olcTLSCertificateKeyFile: {tls}/server.key\n"
            "olcTLSProtocolMin: 3.3\n"
            if self.tls
            else ""
        )
        return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.root}/slapd.pid
{tls_config}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy
olcModuleLoad: argon2

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{chr(10).join(includes)}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcPasswordHash: {{ARGON2}}
olcSizeLimit: unlimited

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcRootDN: cn=admin,cn=config

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ADMIN_DN}
olcRootPW: {self.admin_password}
olcDbDirectory: {self.root}/db
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcLimits: dn.exact="{service}" size=unlimited size.pr=unlimited time=unlimited
olcAccess: {{0}}to attrs=userPassword by self write by dn.exact="{service}" write
  by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{service}" write by self read by * read

dn: olcOverlay={{0}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{0}}ppolicy
olcPPolicyDefault: {POLICY_DN}
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE
"""

    def _data_ldif(self) -> str:
        return f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: ntua
o: NTUA

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ou=policies,{SUFFIX}
objectClass: organizationalUnit
ou: policies

{self.policy.ldif()}
dn: {SERVICE_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: kleidi
userPassword: {self.service_password}
"""

    def build(self) -> None:
        """Write the configuration and the base entries (slapadd, offline)."""
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "slapd.d").mkdir(parents=True)
        (self.root / "db").mkdir()
        (self.root / "config.ldif").write_text(self._config_ldif(), encoding="utf-8")
        (self.root / "data.ldif").write_text(self._data_ldif(), encoding="utf-8")
        self.root.chmod(0o700)
        self.password_file.write_text(self.service_password + "\n", encoding="utf-8")
        self.password_file.chmod(0o600)
        self._state_file.write_text(json.dumps(self._state()), encoding="utf-8")
        self._state_file.chmod(0o600)
        if self.tls:
            make_server_certificate(self.root / "tls", make_ca(self.root / "tls"))
        for args in (
            ["-n0", "-l", str(self.root / "config.ldif")],
            ["-n1", "-l", str(self.root / "data.ldif")],
        ):
            subprocess.run(  # noqa: S603 (our own tool, our own files)
                [_tool("slapadd"), "-F", str(self.root / "slapd.d"), "-q", *args],
                check=True,
                capture_output=True,
                text=True,
            )

    # -- running ------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> PrivateSlapd:
        """Start slapd (building it first if needed) and wait until it answers."""
        if not (self.root / "slapd.d").exists():
            self.build()
        self.process = subprocess.Popen(  # noqa: S603 (our own tool, our own files)
            [
                _tool("slapd"),
                "-F",
                str(self.root / "slapd.d"),
                "-h",
                " ".join(url + "/" for url in self.listen_urls),
                "-d",
                "0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {err[-2000:]}")
            if all(_answers(port) for port in self.ports):
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"slapd did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        """SIGTERM and wait: a clean shutdown."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: the directory disappears mid-conversation, as in an outage."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> PrivateSlapd:
        """The same server, data and port again (after `stop` or `kill`)."""
        self.stop()
        return self.start()

    @property
    def ports(self) -> list[int]:
        return [self.port, self.tls_port] if self.tls else [self.port]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None
