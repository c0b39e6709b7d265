"""The helpdesk and secretariat console (Django admin), on top of every app (DESIGN §3).

The admin classes of people, accounts, audit and the outbox live here, not in
their apps, so that no app below imports the staff scoping of `accounts`.
"""
