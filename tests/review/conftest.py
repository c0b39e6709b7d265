import pytest

from kleidi.people.models import AffiliationKind
from kleidi.people.services import create_affiliation, create_person
from kleidi.review import services


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """The demo's passwords are hashed on every seed; Argon2 is needlessly slow for that here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_undergraduate(item, *, person, actor, client_ip):
    """A registry-like handler: a real one, writing through the people services."""
    values = item.record
    if person is None:
        person = create_person(
            {"surname": values["surname"], "given_name": values["given_name"]},
            actor=actor,
            client_ip=client_ip,
            school=item.school,
        )
    affiliation = create_affiliation(
        {
            "person": person,
            "kind": AffiliationKind.UNDERGRADUATE,
            "school": item.school,
            "registration_number": values["registration_number"],
        },
        actor=actor,
        client_ip=client_ip,
        school=item.school,
    )
    return {"person": person.pk, "affiliation": affiliation.pk}


@pytest.fixture
def registry_handler(monkeypatch):
    """The "registry" source acts through `create_undergraduate` for this test only."""
    monkeypatch.setitem(services._handlers, "registry", create_undergraduate)
    return create_undergraduate
