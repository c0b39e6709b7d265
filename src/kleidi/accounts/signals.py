"""Signals the account service sends so that later layers can act in the same transaction.

Dependencies run one way (DESIGN §3): credentials and directory build on
accounts, so the account service announces what happened and they listen.
Receivers run synchronously, inside the service's transaction.
"""

from django.dispatch import Signal

# New or reactivated accounts need their welcome: username and activation link (R3).
# Arguments: accounts (a list, so bulk sheets welcome thousands at once),
# reason ("created" or "reactivated").
welcome_due = Signal()

# Accounts changed and the directory should follow (R28), in the same transaction.
# Arguments: accounts (a list, so a sheet's thousands are one signal), action
# (the audit action name).
account_changed = Signal()
