"""Who may post: the bearer token, and the products' webhook signatures.

Every POST carries the token as ``Authorization: Bearer <token>`` or, for
products that cannot set headers (Chatwoot), as ``?token=<token>``. A product
whose shared secret is configured (``--webhook-secret zammad=S``) must also
sign its request:

* Chatwoot (4.x, a webhook with a secret): ``X-Chatwoot-Signature: sha256=<hex
  HMAC-SHA256(secret, X-Chatwoot-Timestamp + "." + body)>``, the timestamp in
  epoch seconds (``Webhooks::Trigger#request_headers``);
* Zammad: ``X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>``;
* Zendesk: ``X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret,
  X-Zendesk-Webhook-Signature-Timestamp + body))``.

A signed timestamp more than ``SIGNATURE_WINDOW_SECONDS`` away from the clock,
either way, is refused: a captured request cannot be replayed later. Every
comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from datetime import datetime

SIGNING_PRODUCTS = ("chatwoot", "zammad", "zendesk")
# how far a signed timestamp may be from our clock (both ways): delivery delay and clock skew
SIGNATURE_WINDOW_SECONDS = 300


class Unauthorized(Exception):
    """401: the message says which check failed, never the expected value."""


def parse_secrets(items: Iterable[str]) -> dict[str, bytes]:
    """``NAME=SECRET`` items (``--webhook-secret``) -> {product: secret}; ValueError if bad."""
    secrets: dict[str, bytes] = {}
    for item in items:
        name, sep, secret = item.partition("=")
        name = name.strip().lower()
        if not sep or not secret:
            raise ValueError(f"{item.split('=')[0]!r}: expected NAME=SECRET")
        if name not in SIGNING_PRODUCTS:
            raise ValueError(f"{name!r}: only {', '.join(SIGNING_PRODUCTS)} sign their webhooks")
        secrets[name] = secret.encode()
    return secrets


def check_token(token: str, authorization: str | None, query_token: str | None) -> None:
    expected = token.encode()
    if authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return
        raise Unauthorized("wrong bearer token")
    if query_token is not None:
        if hmac.compare_digest(query_token.encode(), expected):
            return
        raise Unauthorized("wrong token")
    raise Unauthorized("missing token (Authorization: Bearer <token> or ?token=)")


def zammad_signature(secret: bytes, body: bytes) -> str:
    return "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()


def zendesk_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def chatwoot_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def _epoch(timestamp: str) -> float | None:
    """Epoch seconds (Chatwoot) or ISO 8601 with an offset (Zendesk) -> seconds; None if neither."""
    text = timestamp.strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def check_fresh(product: str, timestamp: str, now: float | None = None) -> None:
    """Raise Unauthorized unless ``timestamp`` is within the window around ``now``."""
    moment = _epoch(timestamp)
    if moment is None:
        raise Unauthorized(f"{product} signature timestamp {timestamp[:40]!r} is not a time")
    skew = moment - (time.time() if now is None else now)
    if abs(skew) > SIGNATURE_WINDOW_SECONDS:
        raise Unauthorized(
            f"{product} signature timestamp is {abs(skew):.0f} s "
            f"{'ahead' if skew > 0 else 'old'}, outside {SIGNATURE_WINDOW_SECONDS} s"
        )


def check_signature(
    product: str,
    secrets: Mapping[str, bytes],
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise Unauthorized unless the product's signature matches (when it has a secret)."""
    secret = secrets.get(product)
    if secret is None:
        return
    timestamp: str | None = None  # the signed time, for the products that sign one
    if product == "chatwoot":
        given = headers.get("X-Chatwoot-Signature")
        timestamp = headers.get("X-Chatwoot-Timestamp")
        if not given or not timestamp:
            raise Unauthorized("missing X-Chatwoot-Signature or X-Chatwoot-Timestamp")
        expected = chatwoot_signature(secret, timestamp, body)
    elif product == "zammad":
        given = headers.get("X-Hub-Signature")
        if not given:
            raise Unauthorized("missing X-Hub-Signature")
        expected = zammad_signature(secret, body)
    elif product == "zendesk":
        given = headers.get("X-Zendesk-Webhook-Signature")
        timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp")
        if not given or not timestamp:
            raise Unauthorized("missing X-Zendesk-Webhook-Signature or its -Timestamp")
        expected = zendesk_signature(secret, timestamp, body)
    else:
        return
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise Unauthorized(f"{product} signature does not match")
    if timestamp is not None:
        check_fresh(product, timestamp, now)
