"""Who may post: the bearer token, and the products' webhook signatures.

Every POST carries the token as ``Authorization: Bearer <token>`` or, for
products that cannot set headers (Chatwoot), as ``?token=<token>``. A product
whose shared secret is configured (``--webhook-secret zammad=S``) must also
sign its request:

* Zammad: ``X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>``;
* Zendesk: ``X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret,
  X-Zendesk-Webhook-Signature-Timestamp + body))``.

Every comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

SIGNING_PRODUCTS = ("zammad", "zendesk")


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


def check_signature(
    product: str, secrets: Mapping[str, bytes], headers: Mapping[str, str], body: bytes
) -> None:
    """Raise Unauthorized unless the product's signature matches (when it has a secret)."""
    secret = secrets.get(product)
    if secret is None:
        return
    if product == "zammad":
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
