"""Contact-data checks (R1, R12, R13), and their fast paths agreeing with the parsers."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from kleidi.errors import codes_of
from kleidi.people import validation


def parser_email(value: str) -> str | None:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    local, _, domain = result.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "email.required"),
        ("   ", "email.required"),
        ("not-an-email", "email.invalid"),
        ("a..b@example.com", "email.invalid"),
        ("user@example.local", "email.invalid"),
        ("user@ntua.gr", "email.institutional"),
        ("user@central.ntua.gr", "email.institutional"),
        ("USER@Mail.NTUA.gr", "email.institutional"),
    ],
)
def test_r1_external_email_refusals(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validation.clean_external_email(value)
    assert codes_of(excinfo.value) == [code]
    (shown,) = excinfo.value.messages
    assert (f"«{value}»" in shown) is bool(value.strip())


def test_r1_external_email_normalised():
    assert validation.clean_external_email(" Giorgos@Example.COM ") == "Giorgos@example.com"
    assert validation.clean_external_email("notntua.gr@gmail.com") == "notntua.gr@gmail.com"
    assert validation.clean_external_email("x@antua.gr") == "x@antua.gr"


def test_r13_supervisor_email_may_be_institutional():
    assert validation.clean_supervisor_email("prof@ece.ntua.gr") == "prof@ece.ntua.gr"
    with pytest.raises(ValidationError) as excinfo:
        validation.clean_supervisor_email("prof at ntua")
    assert codes_of(excinfo.value) == ["supervisor.email_invalid"]
    assert excinfo.value.messages == [
        "Το email του διευθυντή ή επιβλέποντα «prof at ntua» δεν είναι έγκυρο."
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6912345678", "+306912345678"),
        ("+30 691 234 5678", "+306912345678"),
        ("0030-691-234-5678", "+306912345678"),
        ("(69) 1234.5678", "+306912345678"),
        ("6857123456", "+306857123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 7911 123456", "+447911123456"),
    ],
)
def test_r12_mobile_stored_as_e164(value, expected):
    assert validation.clean_mobile(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [("2107721234", "phone.not_mobile"), ("12345", "phone.invalid"), ("abc", "phone.invalid")],
)
def test_r12_mobile_refusals(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validation.clean_mobile(value)
    assert codes_of(excinfo.value) == [code]
    (shown,) = excinfo.value.messages
    assert f"«{value}»" in shown


def test_r1_fast_email_path_takes_at_most_64_local_and_254_in_all():
    """RFC 5321's limits: beyond them the fast path steps aside for the parser."""
    local = "a" * 64
    labels = "b" * 63 + "." + "b" * 63 + "."
    longest = f"{local}@{labels}{'b' * 57}.com"
    assert len(longest) == 254
    assert validation._plain_email(longest) == longest
    assert validation._plain_email(f"{local}@{labels}{'b' * 58}.com") is None
    assert validation._plain_email(f"{local}@example.com") == f"{local}@example.com"
    assert validation._plain_email(f"a{local}@example.com") is None


EMAILISH = st.text(alphabet="abcXYZ019._%+-@", min_size=1, max_size=40) | st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.text(alphabet="aZ9._+-", min_size=1, max_size=12),
    st.lists(st.text(alphabet="ab9-", min_size=1, max_size=10), min_size=1, max_size=3),
    st.sampled_from(["com", "gr", "local", "test", "c0m", "xn--p1ai", "museum", "a"]),
)


@settings(max_examples=400, deadline=None)
@given(EMAILISH)
def test_r1_fast_email_path_never_disagrees_with_the_parser(value):
    fast = validation._plain_email(value)
    if fast is not None:
        assert fast == parser_email(value)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"(\+30|0030)?6[0-9]{9}", fullmatch=True))
def test_r12_fast_greek_mobile_path_agrees_with_phonenumbers(value):
    fast = validation._GREEK_MOBILE.fullmatch(value)
    international = "+" + value[2:] if value.startswith("00") else value
    number = phonenumbers.parse(international, "GR")
    parser_says_mobile = phonenumbers.is_valid_number(number) and phonenumbers.number_type(
        number
    ) in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if fast is not None:
        assert parser_says_mobile
        assert "+30" + fast.group("national") == phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164
        )


@pytest.mark.parametrize(("region", "code"), [("DE", "phone.not_mobile"), ("CY", "phone.invalid")])
def test_r12_another_region_never_takes_the_greek_shortcut(region, code):
    with pytest.raises(ValidationError) as refused:
        validation.clean_mobile("6912345678", region=region)
    assert codes_of(refused.value) == [code]


def test_r1_a_domain_written_with_its_final_dot_is_still_institutional():
    assert validation.is_institutional("ntua.gr.")
    assert validation.is_institutional("Mail.NTUA.gr.")
    assert not validation.is_institutional("ntua.gr.example.com")


def test_r13_the_same_address_twice_is_one_and_two_addresses_are_refused():
    assert validation.split_supervisor("Ι. Παπαδάκης <IPap@ntua.gr> (ipap@ntua.gr)") == (
        "Ι. Παπαδάκης",
        "IPap@ntua.gr",
    )
    with pytest.raises(ValidationError) as refused:
        validation.split_supervisor("Α <a@x.gr>, Β <b@x.gr>")
    (item,) = refused.value.error_list
    assert (item.code, item.params) == (
        "supervisor.two_emails",
        {"value": "Α <a@x.gr>, Β <b@x.gr>"},
    )


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        ("Ηρώων Πολυτεχνείου 9, Ζωγράφου 157 80", ("Ηρώων Πολυτεχνείου 9", "Ζωγράφου", "15780")),
        (
            "Οδός 1, Κτίριο 2, Όροφος 3, Εξάρχεια, 106 82",
            ("Οδός 1, Κτίριο 2, Όροφος 3", "Εξάρχεια", "10682"),
        ),
        ("Πατησίων 42, Αθήνα ΤΚ 10682", ("Πατησίων 42", "Αθήνα", "10682")),
        ("Πατησίων 42 Αθήνα", ("Πατησίων 42 Αθήνα", "", "")),
    ],
)
def test_r9_one_cell_address_split_into_address_area_and_postcode(cell, parts):
    assert validation.split_address(cell) == parts
