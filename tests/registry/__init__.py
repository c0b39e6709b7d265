"""Tests of the registry feed and its import."""

# The SIS view's columns Kleidi reads, in the order GUnet's V_VD_SIS lists them
# (docs/registry.md, "The feed"): the contract the reader is tested against.
SIS = [
    "registrationID",
    "departmentID",
    "lastNameEl",
    "firstNameEl",
    "fatherFirstNameEl",
    "motherFirstNameEl",
    "lastNameEn",
    "firstNameEn",
    "fatherFirstNameEn",
    "motherFirstNameEn",
    "birthDate",
    "extEmail",
    "mobilePhone",
    "enrollmentStatus",
    "enrollmentStatusDate",
    "enrollmentType",
    "loginName",
]
