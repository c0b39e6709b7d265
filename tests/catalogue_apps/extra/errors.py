"""A code only this test app defines."""

MESSAGES = {
    "extra.sample": ("Δοκιμή με %(count)s γραμμές.", "A sample with %(count)s rows."),
}
