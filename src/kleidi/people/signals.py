"""Signals the people service sends so that later layers follow, in the same transaction.

Dependencies run one way (DESIGN §3): the directory builds on people, so the
people service announces whose data changed and the directory listens.
"""

from django.dispatch import Signal

# People's data changed (names, mobile, email, an affiliation's registration
# number or status). Arguments: people (a list of Person), action (the audit
# action name).
people_changed = Signal()

# A school's data changed (its code is part of its accounts' directory entries).
# Arguments: school, changes (the audited diff), action.
school_changed = Signal()
