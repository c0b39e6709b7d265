"""A code that credentials/errors.py already defines."""

MESSAGES = {
    "login.failed": ("Λάθος.", "Wrong."),
}
