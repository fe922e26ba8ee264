"""Who may post or read: the tokens and their scopes, and the products' webhook signatures.

Tokens (docs/security.md) and what they admit:

* the write token (``--token``, ``--token-file``, ``SERVICEPULSE_TOKEN``):
  every path, ``POST /v1/events``, every webhook, the read endpoints;
* a product's webhook token (``--webhook-token chatwoot=T``): only
  ``POST /v1/webhooks/chatwoot``, so a token pasted into a helpdesk's webhook
  URL cannot post arbitrary events;
* the read token (``--read-token``): only the ``GET`` read endpoints.

A token travels as ``Authorization: Bearer <token>``; on a webhook path only,
for products that cannot set headers (Chatwoot), as ``?token=<token>``. Every
token has at least ``MIN_TOKEN_LENGTH`` characters. A product whose shared
secret is configured (``--webhook-secret zammad=S``) must also sign its request:

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
from dataclasses import dataclass, field
from datetime import datetime

SIGNING_PRODUCTS = ("chatwoot", "zammad", "zendesk")
WEBHOOK_PRODUCTS = ("chatwoot", "zammad", "zendesk")
MIN_TOKEN_LENGTH = 16
# the scopes a route asks for: WRITE (POST /v1/events), READ (GET read endpoints),
# webhook_scope(product) (POST /v1/webhooks/{product})
WRITE = "write"
READ = "read"
# how far a signed timestamp may be from our clock (both ways): delivery delay and clock skew
SIGNATURE_WINDOW_SECONDS = 300


class Unauthorized(Exception):
    """401: the message says which check failed, never the expected value."""


def _named(item: str, value_name: str, products: Iterable[str], refusal: str) -> tuple[str, str]:
    """One ``NAME=VALUE`` option item -> (product, value); ValueError naming what is wrong."""
    name, sep, value = item.partition("=")
    name = name.strip().lower()
    if not sep or not value:
        raise ValueError(f"{item.split('=')[0]!r}: expected NAME={value_name}")
    if name not in products:
        raise ValueError(f"{name!r}: {refusal}")
    return name, value


def parse_secrets(items: Iterable[str]) -> dict[str, bytes]:
    """``NAME=SECRET`` items (``--webhook-secret``) -> {product: secret}; ValueError if bad."""
    refusal = f"only {', '.join(SIGNING_PRODUCTS)} sign their webhooks"
    named = (_named(item, "SECRET", SIGNING_PRODUCTS, refusal) for item in items)
    return {name: secret.encode() for name, secret in named}


def webhook_scope(product: str) -> str:
    return f"webhook:{product}"


def check_token_strength(name: str, token: str) -> None:
    """ValueError (a one-line reason that never shows the token) unless ``token`` is
    at least MIN_TOKEN_LENGTH printable characters without spaces."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"{name} has {len(token)} characters, at least {MIN_TOKEN_LENGTH} are required "
            "(e.g. openssl rand -hex 24)"
        )
    if not token.isprintable() or any(c.isspace() for c in token):
        raise ValueError(f"{name} must be printable characters without spaces")


def parse_webhook_tokens(items: Iterable[str]) -> dict[str, str]:
    """``NAME=TOKEN`` items (``--webhook-token``) -> {product: token}; ValueError if bad."""
    tokens: dict[str, str] = {}
    for item in items:
        refusal = f"one of {', '.join(WEBHOOK_PRODUCTS)}"
        name, token = _named(item, "TOKEN", WEBHOOK_PRODUCTS, refusal)
        check_token_strength(f"the {name} token", token)
        tokens[name] = token
    return tokens


@dataclass(frozen=True)
class Tokens:
    """The configured tokens; ``granting(scope)`` are those that admit a scope."""

    write: str
    read: str | None = None
    webhooks: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a token
        return f"Tokens(read={self.read is not None}, webhooks={sorted(self.webhooks)})"

    def check(self) -> None:
        """ValueError unless every token is strong enough and each is a different one."""
        check_token_strength("the token", self.write)
        named = [("the token", self.write)]
        if self.read is not None:
            check_token_strength("the read token", self.read)
            named.append(("the read token", self.read))
        for product, token in sorted(self.webhooks.items()):
            check_token_strength(f"the {product} token", token)
            named.append((f"the {product} token", token))
        for i, (name, token) in enumerate(named):
            for other, earlier in named[:i]:
                if token == earlier:
                    raise ValueError(f"{name} is the same as {other}: give each its own")

    def granting(self, scope: str) -> list[str]:
        if scope == READ:
            return [self.write] if self.read is None else [self.write, self.read]
        if scope.startswith("webhook:"):
            own = self.webhooks.get(scope.partition(":")[2])
            return [self.write] if own is None else [self.write, own]
        return [self.write]

    def all(self) -> list[str]:
        return [self.write, *([self.read] if self.read else []), *self.webhooks.values()]


def _matches(given: bytes, candidates: Iterable[str]) -> bool:
    found = False
    for candidate in candidates:  # every one compared: the time does not tell which matched
        found |= hmac.compare_digest(given, candidate.encode())
    return found


def check_access(
    tokens: Tokens, scope: str, authorization: str | None, query_token: str | None
) -> None:
    """Raise Unauthorized unless the request's token admits ``scope``.

    The token is the ``Authorization: Bearer`` header's; without it, on a webhook
    scope only, the ``?token=`` of the URL (a helpdesk's own Basic credentials, which
    Zammad sends when configured, do not hide it)."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() == "bearer":
        given = given.strip()
    elif authorization and query_token is None:
        raise Unauthorized("wrong authorization scheme: expected Authorization: Bearer <token>")
    elif query_token is not None:
        if not scope.startswith("webhook:"):
            raise Unauthorized(
                "a token in the URL (?token=) admits only /v1/webhooks/...: "
                "send Authorization: Bearer <token>"
            )
        given = query_token
    else:
        raise Unauthorized("missing token (Authorization: Bearer <token>)")
    encoded = given.encode(errors="replace")
    if _matches(encoded, tokens.granting(scope)):
        return
    if _matches(encoded, tokens.all()):
        raise Unauthorized("this token does not admit this path")
    raise Unauthorized("wrong token")


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
