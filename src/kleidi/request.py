"""Facts about the request that several apps need (a leaf: any layer may import it)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address; X-Forwarded-For only counts behind trusted proxies.

    With KLEIDI_TRUSTED_PROXY_COUNT = n, the n-th address from the right of
    X-Forwarded-For is the client (each proxy appends the address it saw).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
