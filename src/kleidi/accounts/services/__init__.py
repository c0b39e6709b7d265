"""The account service: the only writer of account state (R22).

Each function validates the transition, writes the change, appends its audit
event (R29) and, where the member must be told, its outbox message (R30), all
in one transaction. Views, commands, the console and the sheets call these.

| module | what it holds |
|---|---|
| ``transitions`` | R22's states and transitions: activate, expire, disable, enable, retire |
| ``creation`` | new accounts, one or in bulk (R3, R7); the demo's seed; helpdesk operators |
| ``renewal`` | reactivation (R17) and renewal (R20) |
| ``expiry`` | the nightly expiry and the reminders (R21) |
| ``passwords`` | the password fields of the account row (R26, R27) |
| ``memberships`` | secretariat memberships (R8) |
| ``staff`` | staff accounts and roles: secretariat accounts, helpdesk operators (issue 12 §3) |
"""

from kleidi.accounts.services.creation import (
    STATE_ACTIONS,
    NewAccount,
    create_account,
    create_account_in_state,
    create_accounts,
    create_helpdesk_operator,
)
from kleidi.accounts.services.expiry import expire_due_accounts, send_expiry_reminders
from kleidi.accounts.services.memberships import (
    add_membership,
    remove_membership,
    revoke_membership,
)
from kleidi.accounts.services.passwords import record_sign_in, store_password, upgrade_password_hash
from kleidi.accounts.services.renewal import (
    add_years,
    can_reactivate,
    check_renewal,
    reactivate_account,
    renew_account,
)
from kleidi.accounts.services.staff import (
    create_secretariat,
    create_staff_account,
    grant_role,
    make_helpdesk,
    revoke_role,
)
from kleidi.accounts.services.transitions import (
    REASON_CHARS,
    TRANSITIONS,
    activate_account,
    disable_account,
    enable_account,
    end_of_day,
    expire_account,
    local_today,
    retire_account,
)

__all__ = [
    "REASON_CHARS",
    "STATE_ACTIONS",
    "TRANSITIONS",
    "NewAccount",
    "activate_account",
    "add_membership",
    "add_years",
    "can_reactivate",
    "check_renewal",
    "create_account",
    "create_account_in_state",
    "create_accounts",
    "create_helpdesk_operator",
    "create_secretariat",
    "create_staff_account",
    "disable_account",
    "enable_account",
    "end_of_day",
    "expire_account",
    "expire_due_accounts",
    "grant_role",
    "local_today",
    "make_helpdesk",
    "reactivate_account",
    "record_sign_in",
    "remove_membership",
    "renew_account",
    "retire_account",
    "revoke_membership",
    "revoke_role",
    "send_expiry_reminders",
    "store_password",
    "upgrade_password_hash",
]
