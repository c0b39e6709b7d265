"""The registry's database view as a feed (R4; docs/registry.md, "The feed").

Each test creates its own schema `sis_<random>` on a real PostgreSQL, a table
with every V_VD_SIS column and the view over it, points the registry alias at
it with `override_settings`, and drops the schema afterwards. These run in
both CI passes (PostgreSQL is on 127.0.0.1 there even for the SQLite pass):
`KLEIDI_TEST_POSTGRES_URL`, else DATABASE_URL's server, else
postgres://postgres@127.0.0.1:5432/postgres. They skip only on a machine
without PostgreSQL, and fail instead in CI (KLEIDI_REQUIRE_SERVICES).
"""

# The SQL here names the test's own generated schema (sis_<hex>), never input.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections
from django.test import override_settings
from django.utils import translation

from kleidi.config import ConfigError
from kleidi.registry import sources
from kleidi.registry.feed import read_feed
from kleidi.registry.records import ACTIVE, GRADUATED
from kleidi.sheets.reader import Limits
from tests.conftest import require_service
from tests.registry import SIS
from tests.test_settings import accepted
from tests.test_settings import refused as refused_setting

# Every column of GUnet's V_VD_SIS (refs/registry.md), unquoted: PostgreSQL folds them.
VIEW_COLUMNS = """
    systemID integer, registrationID varchar(32), SSN varchar(11), SSNCOUNTRY varchar(2),
    TIN varchar(9), TINCOUNTRY varchar(2), firstNameEl text, firstNameEn text,
    lastNameEl text, lastNameEn text, fatherFirstNameEl text, fatherFirstNameEn text,
    motherFirstNameEl text, motherFirstNameEn text, birthDate date, birthYear integer,
    gender varchar(1), citizenship text, departmentID varchar(16), departmentEl text,
    departmentEn text, enrollmentStatus text, enrollmentStatusDate date, enrollmentType text,
    enrollmentTerm integer, extEmail text, mobilePhone text, accountStatus text,
    attendanceType text, loginName text, inscriptionAcYear text
"""


def _sis_url() -> str:
    if url := os.environ.get("KLEIDI_TEST_POSTGRES_URL"):
        return url
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        return database.rsplit("/", 1)[0] + "/postgres"
    return "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass
class Sis:
    admin: object  # a psycopg connection, autocommit, owner of the schema
    schema: str
    url: str

    @property
    def view(self) -> str:
        return f"{self.schema}.V_VD_SIS"

    def execute(self, sql: str, params=None):
        return self.admin.execute(sql, params)

    def add(self, **values) -> None:
        columns = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        self.execute(
            f"INSERT INTO {self.schema}.students ({columns}) VALUES ({marks})",
            list(values.values()),
        )

    def add_many(self, count: int) -> None:
        """`count` valid national-exams students of school el, in one statement."""
        self.execute(
            f"""INSERT INTO {self.schema}.students (systemid, registrationid, ssn, tin,
                departmentid, lastnameel, firstnameel, birthdate, extemail, mobilephone,
                enrollmentstatus, enrollmentstatusdate, enrollmenttype)
            SELECT i, lpad(i::text, 8, '0'), lpad(i::text, 11, '9'), lpad(i::text, 9, '8'),
                'el', 'Παπαδόπουλος', 'Γιώργος', date '2004-03-12', 's' || i || '@gmail.com',
                '69' || lpad(i::text, 8, '0'), 'active', date '2022-09-15', 'national_exams'
            FROM generate_series(1, %s) AS i""",
            [count],
        )


@pytest.fixture
def sis(django_db_blocker):
    import psycopg

    url = _sis_url()
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        require_service(False, f"no PostgreSQL at {url}")
    schema = f"sis_{secrets.token_hex(6)}"
    admin.execute(f"CREATE SCHEMA {schema}")
    admin.execute(f"CREATE TABLE {schema}.students ({VIEW_COLUMNS})")
    admin.execute(f"CREATE VIEW {schema}.V_VD_SIS AS SELECT * FROM {schema}.students")
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(REGISTRY_DATABASE_URL=url, REGISTRY_VIEW=f"{schema}.V_VD_SIS"),
        ):
            yield Sis(admin, schema, url)
            sources.close()
    finally:
        connections.settings.pop(sources.ALIAS, None)
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def refused(**kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_feed("database", **kwargs)
    return caught.value


def english(exc: ValidationError) -> str:
    with translation.override("en"):
        return exc.messages[0]


def test_r4_the_view_is_read_as_a_feed(sis):
    sis.add(
        systemid=1,
        registrationid="03118001",
        ssn="12345678901",
        tin="123456789",
        departmentid="el",
        lastnameel="Παπαδόπουλος",
        firstnameel="Γιώργος",
        lastnameen="Papadopoulos",
        firstnameen="Georgios",
        birthdate=dt.date(2004, 3, 12),
        gender="M",
        citizenship="GR",
        extemail="GPap@Gmail.com",
        mobilephone="6912345671",
        enrollmentstatus="interim",
        enrollmentstatusdate=dt.date(2022, 9, 15),
        enrollmenttype="Πανελλήνιες",
        loginname="EL18001",
    )
    sis.add(
        systemid=2,
        registrationid="03114006",
        departmentid="el",
        lastnameel="Δημητρίου",
        firstnameel="Κατερίνα",
        extemail="",
        enrollmentstatus="διπλωματούχος",
        enrollmentstatusdate=dt.date(2026, 7, 10),
        enrollmenttype="national_exams",
    )
    feed = read_feed("database")
    assert feed.source == f"database:{sis.view}"
    assert feed.columns == SIS
    first, second = sorted(feed.records, key=lambda r: r.registration_number, reverse=True)
    assert first.ok and second.ok
    assert first.values == {
        "registration_number": "03118001",
        "department_id": "el",
        "surname": "Παπαδόπουλος",
        "given_name": "Γιώργος",
        "father_name": "",
        "mother_name": "",
        "latin_surname": "Papadopoulos",
        "latin_given_name": "Georgios",
        "latin_father_name": "",
        "latin_mother_name": "",
        "birth_date": dt.date(2004, 3, 12),
        "external_email": "GPap@gmail.com",
        "mobile": "+306912345671",
        "status": ACTIVE,
        "status_date": dt.date(2022, 9, 15),
        "admission_route": "national_exams",
        "login_name": "el18001",
    }
    assert second.values["status"] == GRADUATED
    assert second.email_code == "email.required"
    assert sorted(r.number for r in feed.records) == [1, 2]
    # Data minimisation: what Kleidi does not keep is not even selected.
    assert "12345678901" not in repr(feed) and "123456789" not in repr(feed)


def test_r4_only_the_known_columns_are_selected(sis):
    sis.add_many(1)
    statements = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    from django.db.backends.signals import connection_created

    def watch(sender, connection, **kwargs):
        if connection.alias == sources.ALIAS:
            connection.execute_wrappers.append(seen)

    connection_created.connect(watch)
    try:
        read_feed("database")
    finally:
        connection_created.disconnect(watch)
    probe, select = statements
    assert probe == f"SELECT * FROM {sis.view} WHERE 1 = 0"
    assert select == (
        'SELECT "departmentid", "registrationid", "lastnameel", "firstnameel", '
        '"fatherfirstnameel", "motherfirstnameel", "lastnameen", "firstnameen", '
        '"fatherfirstnameen", "motherfirstnameen", "birthdate", "extemail", "mobilephone", '
        '"enrollmentstatus", '
        f'"enrollmentstatusdate", "enrollmenttype", "loginname" FROM {sis.view} '
        "ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17"
    )


def test_r4_record_codes_are_the_sheets_codes(sis):
    sis.add_many(2)
    sis.add(
        registrationid="00000001",
        departmentid="el",
        lastnameel="Παπαδoπουλος",
        firstnameel="Γιώργος",
        extemail="bad@@mail",
        mobilephone="12",
        enrollmentstatus="asleep",
        enrollmenttype="lottery",
    )
    feed = read_feed("database")
    errors = {
        r.number: [(e["column"], e["code"]) for e in r.errors] for r in feed.records if r.errors
    }
    # The third student repeats the first one's number (00000001, school el).
    assert sorted(errors.values(), key=len) == [
        [("registrationID", "row.duplicate")],
        [
            ("lastNameEl", "name.lookalike"),
            ("extEmail", "email.invalid"),
            ("mobilePhone", "phone.invalid"),
            ("enrollmentStatus", "registry.status_invalid"),
            ("enrollmentType", "registry.type_invalid"),
            ("registrationID", "row.duplicate"),
        ],
    ]


def test_r4_the_view_streams_in_chunks_from_a_server_side_cursor(sis):
    sis.add_many(5_000)
    counts = []
    cursors = []

    def look(count):
        counts.append(count)
        # Between two chunks, the reading session has the SELECT open as a cursor.
        with connections[sources.ALIAS].cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_cursors")
            cursors.append([statement for (statement,) in cursor.fetchall()])

    feed = read_feed("database", progress=look)
    assert counts == [2_000, 4_000, 5_000]
    assert len(cursors) == 3
    order = ", ".join(str(n) for n in range(1, 18))
    for open_cursors in cursors:
        (statement,) = open_cursors
        assert 'CURSOR FOR SELECT "departmentid"' in statement
        assert statement.endswith(f"FROM {sis.view} ORDER BY {order}")
    assert len(feed.records) == 5_000
    assert all(record.ok for record in feed.records)
    assert [r.number for r in feed.records] == list(range(1, 5_001))


def test_r4_a_session_killed_mid_read_fails_the_whole_read(sis):
    sis.add_many(5_000)
    counts = []

    def kill_the_reader(count):
        counts.append(count)
        pid = connections[sources.ALIAS].connection.info.backend_pid
        sis.execute("SELECT pg_terminate_backend(%s)", [pid])

    exc = refused(progress=kill_the_reader)
    assert exc.code == "registry.view_unavailable"
    assert counts == [2_000]  # it died after the first chunk; nothing was returned
    assert english(exc).startswith(f"The registry database view “{sis.view}” could not be read")
    # The next run reads it whole.
    assert len(read_feed("database").records) == 5_000


def test_r4_a_view_dropped_mid_read_waits_for_the_read_then_is_unavailable(sis):
    import psycopg

    sis.add_many(5_000)
    blocked = []

    def drop_the_view(count):
        if count != 2_000:
            return
        # The read holds its lock on the view: a DROP waits (here: gives up) until it ends.
        try:
            with sis.admin.transaction():
                sis.execute("SET LOCAL lock_timeout = '200ms'")
                sis.execute(f"DROP VIEW {sis.view}")
        except psycopg.errors.LockNotAvailable:
            blocked.append(count)

    assert len(read_feed("database", progress=drop_the_view).records) == 5_000
    assert blocked == [2_000]
    sis.execute(f"DROP VIEW {sis.view}")
    exc = refused()
    assert exc.code == "registry.view_unavailable"


def test_r4_a_missing_view_is_unavailable(sis):
    with override_settings(REGISTRY_VIEW=f"{sis.schema}.no_such_view"):
        exc = refused()
    assert exc.code == "registry.view_unavailable"
    assert exc.params == {"view": f"{sis.schema}.no_such_view"}


def test_r4_a_refused_connection_is_unavailable(django_db_blocker):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgres://postgres@127.0.0.1:{port}/sis"
    try:
        with django_db_blocker.unblock(), override_settings(REGISTRY_DATABASE_URL=url):
            exc = refused()
    finally:
        connections.settings.pop(sources.ALIAS, None)
    assert exc.code == "registry.view_unavailable"
    assert exc.params == {"view": "V_VD_SIS"}


@override_settings(REGISTRY_DATABASE_URL="")
def test_r4_the_database_source_without_a_url_is_not_configured():
    exc = refused()
    assert exc.code == "registry.not_configured"
    assert english(exc).startswith("The registry database is not configured")


def test_r4_a_view_without_a_required_column_is_refused(sis):
    sis.add_many(1)
    sis.execute(
        f"CREATE VIEW {sis.schema}.narrow AS SELECT registrationid, departmentid, "
        f"lastnameel, firstnameel, enrollmentstatus FROM {sis.schema}.students"
    )
    with override_settings(REGISTRY_VIEW=f"{sis.schema}.narrow"):
        exc = refused()
    assert exc.code == "sheet.missing_column"
    assert exc.params == {"column": "extEmail, enrollmentType"}


def test_r4_a_quoted_mixed_case_view_and_columns(sis):
    # A quote inside a column's name ("ext""Email") is doubled in the SELECT, never closed.
    sis.add_many(3)
    sis.execute(
        f'CREATE VIEW {sis.schema}."V_VD_SIS_Quoted" AS SELECT registrationid AS '
        f'"registrationID", departmentid AS "departmentID", lastnameel AS "lastNameEl", '
        f'firstnameel AS "firstNameEl", extemail AS "ext""Email", enrollmentstatus AS '
        f'"enrollmentStatus", enrollmenttype AS "enrollmentType" FROM {sis.schema}.students'
    )
    with override_settings(REGISTRY_VIEW=f'{sis.schema}."V_VD_SIS_Quoted"'):
        feed = read_feed("database")
    assert len(feed.records) == 3 and all(record.ok for record in feed.records)
    assert feed.records[0].values["external_email"] == "s1@gmail.com"


def test_r4_more_rows_than_the_feed_limit_is_refused(sis):
    sis.add_many(5)
    exc = refused(limits=Limits(max_bytes=10**6, max_rows=4))
    assert exc.code == "sheet.too_many_rows"
    assert exc.params == {"max": 4}


def test_r4_the_registry_alias_is_read_only(sis):
    sis.add_many(1)
    read_feed("database")
    registry = connections[sources.ALIAS]
    with pytest.raises(DatabaseError, match="read-only transaction"), registry.cursor() as cursor:
        cursor.execute(f"DELETE FROM {sis.schema}.students")
    with pytest.raises(DatabaseError, match="read-only transaction"), registry.cursor() as cursor:
        cursor.execute(f"INSERT INTO {sis.schema}.students (systemid) VALUES (9)")
    count = sis.execute(f"SELECT count(*) FROM {sis.schema}.students").fetchone()[0]
    assert count == 1


# --------------------------------------------------------------------------
# Settings (no PostgreSQL needed)


def test_r4_the_registry_alias_is_never_migrated():
    router = sources.Router()
    assert router.allow_migrate(sources.ALIAS, "people") is False
    assert router.allow_migrate("default", "people") is None


def test_r4_the_registry_url_must_be_postgres():
    with pytest.raises(ConfigError, match="KLEIDI_REGISTRY_DATABASE_URL: only postgres://"):
        sources.database_settings("sqlite:///var/sis.sqlite3")
    config = sources.database_settings(
        "postgres://reader:secret@sis.example:5433/sis?sslmode=require"
    )
    assert config["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c default_transaction_read_only=on",
        "connect_timeout": 10,
    }
    assert config["TEST"] == {"MIGRATE": False}
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("sis.example", 5433, "sis")


@pytest.mark.parametrize(
    "name", ["V_VD_SIS", "sis.V_VD_SIS", 'sis."V_VD_SIS"', '"Registry"."V_VD_SIS"']
)
def test_r4_view_names_that_are_identifiers(name):
    assert sources.view_name(f" {name} ") == name


@pytest.mark.parametrize(
    "name",
    ["V_VD_SIS; DROP TABLE x", "a.b.c", "1view", 'sis."V"_x', "", "v--", "v /* */"],
)
def test_r4_view_names_that_are_not_are_refused(name):
    with pytest.raises(ConfigError, match="KLEIDI_REGISTRY_VIEW"):
        sources.view_name(name)


def test_r4_startup_builds_the_read_only_alias_only_when_configured(tmp_path):
    url = "postgres://reader@sis.example:5432/sis"
    names = ["DATABASES", "DATABASE_ROUTERS", "REGISTRY_VIEW", "REGISTRY_MAX_RECORDS"]
    read = accepted(tmp_path, names, KLEIDI_REGISTRY_DATABASE_URL=url)
    registry = read["DATABASES"]["registry"]
    assert (registry["ENGINE"], registry["HOST"], registry["NAME"]) == (
        "django.db.backends.postgresql",
        "sis.example",
        "sis",
    )
    assert registry["OPTIONS"]["options"] == "-c default_transaction_read_only=on"
    assert read["DATABASE_ROUTERS"] == ["kleidi.registry.sources.Router"]
    assert read["REGISTRY_VIEW"] == "V_VD_SIS"
    assert read["REGISTRY_MAX_RECORDS"] == 200_000
    assert "registry" not in accepted(tmp_path, ["DATABASES"])["DATABASES"]


def test_r4_startup_stops_on_a_registry_url_that_is_not_postgres(tmp_path):
    problem = refused_setting(tmp_path, "KLEIDI_REGISTRY_DATABASE_URL", "sqlite:///sis.db")
    assert problem.startswith("only postgres:// is supported")


def test_r4_startup_stops_on_a_view_name_that_is_not_an_identifier(tmp_path):
    problem = refused_setting(tmp_path, "KLEIDI_REGISTRY_VIEW", "V_VD_SIS; DROP TABLE people")
    assert problem.startswith("'V_VD_SIS; DROP TABLE people' is not a view name")
