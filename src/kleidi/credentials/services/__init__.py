"""Credential self-service, one module per concern.

`links` makes and checks the links (R24), `welcome` sends them to new
accounts (R3), `reset` answers a forgotten password (R23), `passwords` sets
and changes a password (R26), `signin` checks a password at the door (R27),
and `lookup` finds the account a typed username names. Every function is the
one place its rule lives; views and the account service's `welcome_due`
receiver only call them.

Passwords pass through as arguments and are hashed exactly once (Argon2) and
handed to the directory inside the same transaction; they are never stored,
logged, queued or audited. Tokens leave only inside the one message that
carries the link: the database keeps their SHA-256, and the message body only
a sealed placeholder that the outbox fills in at delivery (kleidi.linkseal).
"""
