"""The directory's fixtures (a private slapd, Kleidi pointed at it) for the console's tests."""

from tests.directory.conftest import directory, ldap_admin, slapd  # noqa: F401
