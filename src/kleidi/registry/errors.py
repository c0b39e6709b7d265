"""Error codes of the registry feed and its import (R4, R5, R6, docs/registry.md)."""

MESSAGES = {
    # The feed: reading a file or the database view (feed.py, sources.py).
    # The import: classifying and applying (services.py, classify.py, apply.py).
}
