"""Review items built in the tests."""

from kleidi.review.services import NewItem


def held(school, number="03121999", surname="Θεοχάρη", given="Ελένη", **extra):
    record = {
        "registration_number": number,
        "surname": surname,
        "given_name": given,
        "admission_route": "transfer",
        **extra,
    }
    return NewItem(source="registry", reason="held", school=school, key=number, record=record)
