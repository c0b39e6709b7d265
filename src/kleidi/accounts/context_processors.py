"""The username policy for every template's help text (R7)."""

from kleidi.accounts.usernames import username_policy as _policy


def username_policy(request):
    return {"username_policy": _policy()}
