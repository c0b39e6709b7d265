"""Link tokens that no copy of the database can rebuild (R24, DESIGN §6).

A link's token is HMAC-SHA256 of a random nonce under a key derived from
SECRET_KEY, which the database does not hold. The credentials app stores only
SHA-256 of the token; the message body stores a placeholder carrying the
nonce, which the outbox fills in at delivery (and the demo mailbox at
display). A stolen backup or replica therefore holds hashes and nonces, and
neither opens a link without the key.

The placeholder names which key sealed it (a short id, not the key), so a
message queued before a SECRET_KEY rotation is still filled in while the old
key is in SECRET_KEY_FALLBACKS. Once the old key is dropped, its placeholders
become a link that says "no longer valid, ask for a new one".
"""

import base64
import functools
import logging
import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

NONCE_BYTES = 32  # 256 random bits per link
_KEY_ID_CHARS = 8
_PLACEHOLDER = re.compile(r"~k([A-Za-z0-9_-]{8})~([A-Za-z0-9_-]{43})~")
# The token a placeholder becomes when its key is gone: a link that opens nothing.
UNSEALABLE = "expired"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(purpose: str, value: str, secret: str) -> bytes:
    """HMAC-SHA256 under a key for links alone (Django's salted_hmac, as the audit and
    rate limits use), so no other use of SECRET_KEY ever yields a token."""
    salt = f"kleidi.linkseal.v1.{purpose}"
    return salted_hmac(salt, value, secret=secret, algorithm="sha256").digest()


@functools.lru_cache(maxsize=16)
def key_id(secret: str) -> str:
    """Which key sealed a placeholder; says nothing about the key itself."""
    return _b64(_mac("key-id", "", secret))[:_KEY_ID_CHARS]


def is_placeholder(text: str) -> bool:
    """Is `text` exactly one placeholder as `seal` makes them?"""
    return _PLACEHOLDER.fullmatch(text) is not None


def derive(nonce: str, secret: str | None = None) -> str:
    """The token of `nonce` under `secret` (default SECRET_KEY): 43 base64url characters."""
    return _b64(_mac("token", nonce, settings.SECRET_KEY if secret is None else secret))


def seal() -> tuple[str, str]:
    """A fresh link: the placeholder to store in the message, and its token (to hash)."""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    return f"~k{key_id(settings.SECRET_KEY)}~{nonce}~", derive(nonce)


def unseal(text: str) -> str:
    """`text` with every placeholder replaced by its token; only for what leaves the system."""
    if "~k" not in text:
        return text
    secrets_by_id = {
        key_id(secret): secret
        for secret in reversed([settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS])
    }

    def fill(match: re.Match) -> str:
        secret = secrets_by_id.get(match.group(1))
        if secret is None:
            logger.warning("a link was sealed with a key no longer configured; sent as expired")
            return UNSEALABLE
        return derive(match.group(2), secret)

    return _PLACEHOLDER.sub(fill, text)
