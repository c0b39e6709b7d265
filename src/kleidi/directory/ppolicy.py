"""The password policy response control (draft-behera-ldap-password-policy §6.2), decoded.

ldap3 has no decoder for it and hands over the raw BER value, so the ASN.1
is written here from the draft:

    PasswordPolicyResponseValue ::= SEQUENCE {
        warning [0] CHOICE {
            timeBeforeExpiration [0] INTEGER (0 .. maxInt),
            graceAuthNsRemaining [1] INTEGER (0 .. maxInt) } OPTIONAL,
        error   [1] ENUMERATED { passwordExpired (0), ... } OPTIONAL }

A CHOICE cannot be tagged implicitly, so `warning` is an explicit [0]
around it (slapd sends `a0 03 80 01 nn`); `error` is an implicit [1]
(`81 01 06` is passwordTooShort).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, namedval, tag, univ

OID = "1.3.6.1.4.1.42.2.27.8.5.1"
REQUEST = (OID, False, None)  # the request control: no value, not critical

ERRORS = {
    0: "passwordExpired",
    1: "accountLocked",
    2: "changeAfterReset",
    3: "passwordModNotAllowed",
    4: "mustSupplyOldPassword",
    5: "insufficientPasswordQuality",
    6: "passwordTooShort",
    7: "passwordTooYoung",
    8: "passwordInHistory",
    9: "passwordTooLong",
}


def _context(number: int, constructed: bool = False) -> tag.Tag:
    form = tag.tagFormatConstructed if constructed else tag.tagFormatSimple
    return tag.Tag(tag.tagClassContext, form, number)


class _Warning(univ.Choice):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType(
            "timeBeforeExpiration", univ.Integer().subtype(implicitTag=_context(0))
        ),
        namedtype.NamedType(
            "graceAuthNsRemaining", univ.Integer().subtype(implicitTag=_context(1))
        ),
    )


class _Error(univ.Enumerated):
    namedValues = namedval.NamedValues(*((name, number) for number, name in ERRORS.items()))


class PasswordPolicyResponseValue(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.OptionalNamedType(
            "warning", _Warning().subtype(explicitTag=_context(0, constructed=True))
        ),
        namedtype.OptionalNamedType("error", _Error().subtype(implicitTag=_context(1))),
    )


@dataclass(frozen=True)
class PolicyResponse:
    """What the server said: an error number (None: no error) and at most one warning."""

    error: int | None = None
    time_before_expiration: int | None = None
    grace_authns_remaining: int | None = None

    @property
    def error_name(self) -> str:
        return ERRORS.get(self.error, f"error {self.error}") if self.error is not None else ""


class MalformedControl(ValueError):
    """The control's value is not a PasswordPolicyResponseValue."""


def decode(value: bytes) -> PolicyResponse:
    """Decode the control's BER value; an unknown error number is kept as a number."""
    if not value:
        return PolicyResponse()
    try:
        decoded, rest = decoder.decode(bytes(value), asn1Spec=PasswordPolicyResponseValue())
    except PyAsn1Error as exc:
        raise MalformedControl(f"not a password policy response ({len(value)} bytes)") from exc
    if rest:
        raise MalformedControl("trailing bytes after the password policy response")
    error = decoded["error"]
    warning = decoded["warning"]
    found: dict[str, int] = {}
    if warning.isValue:
        name = warning.getName()
        found[name] = int(warning[name])
    return PolicyResponse(
        error=int(error) if error.isValue else None,
        time_before_expiration=found.get("timeBeforeExpiration"),
        grace_authns_remaining=found.get("graceAuthNsRemaining"),
    )


def response_of(result: dict | None) -> PolicyResponse | None:
    """The decoded control of an ldap3 result (`conn.result`), or None when it has none."""
    controls = (result or {}).get("controls") or {}
    control = controls.get(OID)
    if control is None:
        return None
    return decode(control.get("value") or b"")
