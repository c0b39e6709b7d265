"""Checks of a person's contact data, shared by the sheets, the admin and the registry.

R1 external email, R12 mobile, R13 supervisor email (alone, or with the name in
one cell), the guide's one-cell address. Each returns the normalised value or
raises a ValidationError with a stable code.
"""

import re
from functools import cache

from django.conf import settings

from kleidi.errors import error

# email-validator and phonenumbers are imported on first use, not with the
# console's admin at every `kleidi` command's start (docs/performance.md).

# The everyday shapes, decided without the full parsers: a bulk sheet checks
# thousands of addresses and phones, and email-validator and phonenumbers were
# most of its validation time. Anything else goes to the parsers; tests check
# that the fast paths never accept what the parsers refuse, nor differ in result.
_PLAIN_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_GREEK_MOBILE = re.compile(r"(?:\+30|0030)?(?P<national>69\d{8}|68[57-9]\d{7})")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def _plain_email(value: str) -> str | None:
    """The normalised address if `value` is a plain ASCII address, else None (ask the parser)."""
    match = _PLAIN_EMAIL.fullmatch(value)
    if match is None or len(value) > 254 or len(match.group("local")) > 64:
        return None
    domain = match.group("domain").lower()
    labels = domain.split(".")
    if any("--" in label for label in labels):  # IDNA's reserved and punycode labels
        return None
    if any(domain == name or domain.endswith("." + name) for name in _special_use_domains()):
        return None
    return f"{match.group('local')}@{domain}"


@cache
def _special_use_domains() -> tuple[str, ...]:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    return tuple(SPECIAL_USE_DOMAIN_NAMES)


def _syntax_email(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    plain = _plain_email(value)
    if plain is not None:
        return plain
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


def is_institutional(domain: str) -> bool:
    """R1: an institutional domain or any subdomain of one."""
    domain = domain.lower().rstrip(".")
    return any(
        domain == inst or domain.endswith("." + inst) for inst in settings.INSTITUTIONAL_DOMAINS
    )


def clean_external_email(value: str) -> str:
    """R1: a syntactically valid address outside the institution."""
    value = (value or "").strip()
    if not value:
        raise error("email.required")
    normalised = _syntax_email(value)
    if normalised is None:
        raise error("email.invalid", value=value)
    local, _, domain = normalised.rpartition("@")
    if is_institutional(domain):
        raise error("email.institutional", value=value)
    return f"{local}@{domain.lower()}"


def clean_supervisor_email(value: str) -> str:
    """R13: valid syntax; an institutional address is fine here."""
    value = (value or "").strip()
    normalised = _syntax_email(value) if value else None
    if normalised is None:
        raise error("supervisor.email_invalid", value=value)
    local, _, domain = normalised.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_mobile(value: str, region: str = "GR") -> str:
    """R12: a valid mobile number (GR by default, others with their code), as E.164."""
    raw = (value or "").strip()
    if region == "GR":
        greek = _GREEK_MOBILE.fullmatch(_PHONE_PUNCTUATION.sub("", raw))
        if greek is not None:
            return "+30" + greek.group("national")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise error("phone.invalid", value=value) from None
    if not phonenumbers.is_valid_number(number):
        raise error("phone.invalid", value=value)
    kind = phonenumbers.number_type(number)
    mobile_kinds = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if kind not in mobile_kinds:
        raise error("phone.not_mobile", value=value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# An address inside text, as people type one next to a name.
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\[\]{},;:\"'«»]+@[^\s<>()\[\]{},;:\"'«»]+")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)
_EMAIL_LABEL = re.compile(r"\b(?:e-?mail|mail|ηλ\.?\s*ταχ\.?)\s*:?\s*", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"<\s*>|\(\s*\)|\[\s*\]|«\s*»")
_NAME_EDGES = " \t,;:|/-–—<>()[]«»\"'"


def split_supervisor(value: str) -> tuple[str, str]:
    """R13: the director's or supervisor's name and email from one cell, as typed.

    «Καθ. Ιωάννης Παπαδάκης, ipapadakis@central.ntua.gr», «Ι. Παπαδάκης <…>»,
    «Παπαδάκης Ιωάννης - …» or the address alone: returns the name (empty if
    none) and the checked address (institutional is fine). No address is
    `supervisor.email_invalid`; two different ones are `supervisor.two_emails`.
    """
    value = (value or "").strip()
    found = _ADDRESS_IN_TEXT.findall(_MAILTO.sub(" ", value))
    addresses = list(dict.fromkeys(a.rstrip(".").lower() for a in found))
    if len(addresses) > 1:
        raise error("supervisor.two_emails", value=value)
    if not addresses:
        raise error("supervisor.email_invalid", value=value)
    normalised = _syntax_email(found[0].rstrip("."))
    if normalised is None:
        raise error("supervisor.email_invalid", value=value)
    local, _, domain = normalised.rpartition("@")
    rest = _MAILTO.sub(" ", value)
    for address in found:
        rest = rest.replace(address, " ")
    rest = _EMPTY_BRACKETS.sub(" ", _EMAIL_LABEL.sub(" ", rest))
    name = " ".join(rest.split()).strip(_NAME_EDGES)
    return name, f"{local}@{domain.lower()}"


# A Greek postcode (ΤΚ): five digits, often written «157 80», maybe after «ΤΚ».
_POSTCODE = re.compile(r"(?:\bΤ\.?\s?Κ\.?:?\s*)?\b(\d{3})\s?(\d{2})\b", re.IGNORECASE)


def split_address(value: str) -> tuple[str, str, str]:
    """The guide's one-cell «Διεύθυνση κατοικίας, Περιοχή, ΤΚ» as (address, area, postcode).

    The postcode is the five digits in the last comma-separated part; the area
    is what else that part holds, or the part before it. Without a postcode
    the cell is kept whole as the address (an area cannot be told from a
    floor or a building).
    """
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if len(parts) < 2:
        return value, "", ""
    found = list(_POSTCODE.finditer(parts[-1]))
    if not found:
        return value, "", ""
    match = found[-1]
    postcode = match[1] + match[2]
    remainder = (parts[-1][: match.start()] + " " + parts[-1][match.end() :]).strip(" -–")
    remainder = " ".join(remainder.split())
    if remainder:
        return ", ".join(parts[:-1]), remainder, postcode
    if len(parts) >= 3:
        return ", ".join(parts[:-2]), parts[-2], postcode
    return parts[0], "", postcode
