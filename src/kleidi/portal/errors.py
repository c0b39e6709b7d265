"""Error codes of the portal's request handling (docs/errors.md)."""

MESSAGES = {
    "request.too_large": (
        "Το αίτημα είναι μεγαλύτερο από όσο δέχεται αυτή η σελίδα (έως %(max_kb)s KB).",
        "The request is larger than this page accepts (at most %(max_kb)s KB).",
    ),
    "request.length_required": (
        "Το αίτημα πρέπει να δηλώνει το μέγεθός του (Content-Length).",
        "The request must state its size (Content-Length).",
    ),
}
