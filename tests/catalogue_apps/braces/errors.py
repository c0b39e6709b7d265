"""A template written with str.format braces, which Django's params would never fill in."""

MESSAGES = {
    "braces.sample": ("Έως {max} χαρακτήρες.", "At most {max} characters."),
}
