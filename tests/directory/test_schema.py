"""The eduPerson and SCHAC schema files load, and an entry built by the mapping is accepted (R28).

The private slapd loads `kleidi/directory/schema/*.ldif`; these tests add
real accounts' desired entries with the rootDN (so that no ACL is in the
way) and read every attribute back, the Greek `;lang-el` values included.
"""

from __future__ import annotations

import pytest
from ldap3 import BASE, MODIFY_REPLACE, NONE, Connection, Server

from kleidi.directory import mapping
from kleidi.directory import slapd as private

# (name, OID) pairs from the published specifications: eduPerson 202208, SCHAC 1.6.0.
PUBLISHED_ATTRIBUTES = {
    "eduPersonAffiliation": "1.3.6.1.4.1.5923.1.1.1.1",
    "eduPersonPrimaryAffiliation": "1.3.6.1.4.1.5923.1.1.1.5",
    "eduPersonPrincipalName": "1.3.6.1.4.1.5923.1.1.1.6",
    "eduPersonScopedAffiliation": "1.3.6.1.4.1.5923.1.1.1.9",
    "eduPersonUniqueId": "1.3.6.1.4.1.5923.1.1.1.13",
    "eduPersonOrcid": "1.3.6.1.4.1.5923.1.1.1.16",
    "schacHomeOrganization": "1.3.6.1.4.1.25178.1.2.9",
    "schacHomeOrganizationType": "1.3.6.1.4.1.25178.1.2.10",
    "schacPersonalUniqueCode": "1.3.6.1.4.1.25178.1.2.14",
    "schacPersonalUniqueID": "1.3.6.1.4.1.25178.1.2.15",
    "schacExpiryDate": "1.3.6.1.4.1.25178.1.2.17",
}
PUBLISHED_CLASSES = {
    "eduPerson": "1.3.6.1.4.1.5923.1.1.2",
    "schacPersonalCharacteristics": "1.3.6.1.4.1.25178.1.1.1",
    "schacContactLocation": "1.3.6.1.4.1.25178.1.1.2",
    "schacLinkageIdentifiers": "1.3.6.1.4.1.25178.1.1.4",
    "schacEntryMetadata": "1.3.6.1.4.1.25178.1.1.5",
}


def _add(conn: Connection, desired: mapping.DesiredEntry) -> None:
    attributes = {name: list(values) for name, values in desired.attributes.items()}
    assert conn.add(desired.dn, attributes=attributes), conn.result


def _read(conn: Connection, dn: str) -> dict[str, set[str]]:
    assert conn.search(dn, "(objectClass=*)", BASE, attributes=["*"]), conn.result
    raw = conn.response[0]["raw_attributes"]
    return {name: {value.decode() for value in values} for name, values in raw.items()}


def _subschema(conn: Connection):
    conn.search(
        "cn=subschema", "(objectClass=*)", BASE, attributes=["attributeTypes", "objectClasses"]
    )
    return conn.entries[0]


def test_r28_published_oids_are_the_ones_loaded(ldap_admin):
    schema = _subschema(ldap_admin)
    attribute_types = [str(value) for value in schema.attributeTypes]
    object_classes = [str(value) for value in schema.objectClasses]
    for name, oid in PUBLISHED_ATTRIBUTES.items():
        assert any(f"( {oid} NAME '{name}'" in text for text in attribute_types), name
    for name, oid in PUBLISHED_CLASSES.items():
        assert any(f"( {oid} NAME '{name}'" in text for text in object_classes), name


def test_r28_object_classes_allow_every_managed_attribute(ldap_admin):
    """Every class the mapping names exists, and together they allow every managed attribute."""
    server = ldap_admin.server
    server.get_info_from_server(ldap_admin)
    classes = server.schema.object_classes
    allowed: set[str] = set()
    pending = list(mapping.OBJECT_CLASSES)
    while pending:
        name = pending.pop()
        assert name in classes, name
        definition = classes[name]
        allowed.update(a.lower() for a in (definition.may_contain or []))
        allowed.update(a.lower() for a in (definition.must_contain or []))
        pending.extend(definition.superior or [])
    for attribute in mapping.MANAGED_ATTRIBUTES:
        assert attribute.split(";")[0].lower() in allowed, attribute


@pytest.mark.parametrize("username", ["gpapadopoulos", "el21042", "el17007", "kbakogianni"])
def test_r28_desired_entry_is_accepted_with_every_attribute(ldap_admin, account, username):
    desired = mapping.desired_entry(account(username))
    _add(ldap_admin, desired)
    stored = _read(ldap_admin, desired.dn)
    for name, values in desired.attributes.items():
        assert stored.get(name) == set(values), name


def test_r28_greek_language_tagged_values_round_trip(ldap_admin, account):
    desired = mapping.desired_entry(account("gpapadopoulos"))
    _add(ldap_admin, desired)
    stored = _read(ldap_admin, desired.dn)
    assert stored["sn;lang-el"] == {"Παπαδόπουλος"}
    assert stored["givenName;lang-el"] == {"Γεώργιος"}
    assert stored["cn;lang-el"] == {"Γεώργιος Παπαδόπουλος"}
    assert stored["displayName"] == {"Γεώργιος Παπαδόπουλος"}
    assert stored["sn"] == stored["sn;lang-en"]
    assert stored["sn"].pop().isascii()
    # Searches in Greek find the entry: sn's matching rules apply to its language subtypes.
    for search in ("(sn;lang-el=Παπαδόπουλος)", "(sn=ΠΑΠΑΔ*)", "(cn;lang-el=*Γεώργιος*)"):
        assert ldap_admin.search(private.PEOPLE, search, attributes=["uid"]), search
        assert [str(e.uid) for e in ldap_admin.entries] == ["gpapadopoulos"], search


def test_r28_schema_refuses_what_the_specification_forbids(directory, ldap_admin, account):
    """Single-valued and GeneralizedTime attributes are enforced by the directory itself."""
    desired = mapping.desired_entry(account("gpapadopoulos"))
    _add(ldap_admin, desired)
    # Without the schema on the client side, so that ldap3 does not refuse first.
    conn = Connection(
        Server(ldap_admin.server.host, ldap_admin.server.port, get_info=NONE),
        private.ADMIN_DN,
        directory.admin_password,
        auto_bind=True,
    )
    for change in (
        {"eduPersonPrincipalName": [(MODIFY_REPLACE, ["a@ntua.gr", "b@ntua.gr"])]},
        {"schacExpiryDate": [(MODIFY_REPLACE, ["next year"])]},
        {"schacHomeOrganization": [(MODIFY_REPLACE, ["ntua.gr", "example.org"])]},
    ):
        assert not conn.modify(desired.dn, change)
        assert conn.result["result"] in (19, 21), conn.result
    conn.unbind()
