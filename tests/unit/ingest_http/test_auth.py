from __future__ import annotations

import base64
import subprocess

import pytest

from streams.ingest_http.auth import (
    READ,
    SIGNATURE_WINDOW_SECONDS,
    WRITE,
    Tokens,
    Unauthorized,
    chatwoot_signature,
    check_access,
    check_signature,
    check_token_strength,
    parse_secrets,
    parse_webhook_tokens,
    webhook_scope,
    zammad_signature,
    zendesk_signature,
)

BODY = b'{"ticket":{"id":31}}'
NOW = 1795510800.0  # 2026-11-24T09:00:00Z


def openssl_hmac(algorithm: str, key: str, data: bytes) -> bytes:
    """The same HMAC by an independent implementation (the openssl command)."""
    done = subprocess.run(
        ["openssl", "dgst", f"-{algorithm}", "-hmac", key, "-binary"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_zammad_signature_is_sha1_hex_of_the_body() -> None:
    expected = "sha1=" + openssl_hmac("sha1", "secret", BODY).hex()
    assert zammad_signature(b"secret", BODY) == expected


def test_zendesk_signature_is_base64_sha256_over_timestamp_and_body() -> None:
    stamp = "2021-03-25T05:09:27Z"
    expected = base64.b64encode(openssl_hmac("sha256", "secret", stamp.encode() + BODY)).decode()
    assert zendesk_signature(b"secret", stamp, BODY) == expected


def test_chatwoot_signature_is_sha256_hex_over_timestamp_dot_body() -> None:
    # Webhooks::Trigger#request_headers: "sha256=#{HMAC-SHA256 hex(secret, "#{ts}.#{body}")}"
    stamp = "1795510800"
    expected = "sha256=" + openssl_hmac("sha256", "secret", stamp.encode() + b"." + BODY).hex()
    assert chatwoot_signature(b"secret", stamp, BODY) == expected


def test_a_matching_signature_passes_and_any_other_is_refused() -> None:
    secrets = {"zammad": b"s", "zendesk": b"z"}
    check_signature("zammad", secrets, {"X-Hub-Signature": zammad_signature(b"s", BODY)}, BODY)
    with pytest.raises(Unauthorized, match="does not match"):
        check_signature("zammad", secrets, {"X-Hub-Signature": zammad_signature(b"x", BODY)}, BODY)
    with pytest.raises(Unauthorized, match="missing"):
        check_signature("zendesk", secrets, {"X-Zendesk-Webhook-Signature": "abc"}, BODY)
    check_signature("chatwoot", secrets, {}, BODY)  # no Chatwoot secret configured: token only
    check_signature("zammad", {}, {}, BODY)  # no secret configured: token only


def chatwoot_headers(secret: bytes, stamp: str, body: bytes = BODY) -> dict[str, str]:
    return {
        "X-Chatwoot-Signature": chatwoot_signature(secret, stamp, body),
        "X-Chatwoot-Timestamp": stamp,
    }


def test_a_signed_chatwoot_delivery_passes_within_the_window() -> None:
    secrets = {"chatwoot": b"c"}
    check_signature("chatwoot", secrets, chatwoot_headers(b"c", "1795510800"), BODY, now=NOW)
    # 299 s late and 299 s early are inside the 300 s window
    check_signature("chatwoot", secrets, chatwoot_headers(b"c", "1795510501"), BODY, now=NOW)
    check_signature("chatwoot", secrets, chatwoot_headers(b"c", "1795511099"), BODY, now=NOW)


def test_a_chatwoot_delivery_unsigned_forged_or_stale_is_refused() -> None:
    secrets = {"chatwoot": b"c"}
    with pytest.raises(Unauthorized, match="missing X-Chatwoot"):
        check_signature("chatwoot", secrets, {}, BODY, now=NOW)
    with pytest.raises(Unauthorized, match="does not match"):
        check_signature("chatwoot", secrets, chatwoot_headers(b"x", "1795510800"), BODY, now=NOW)
    tampered = chatwoot_headers(b"c", "1795510800", b'{"ticket":{"id":32}}')
    with pytest.raises(Unauthorized, match="does not match"):
        check_signature("chatwoot", secrets, tampered, BODY, now=NOW)
    # 1795510800 - 301 = 1795510499: a validly signed replay 301 s later
    with pytest.raises(Unauthorized, match="301 s old"):
        check_signature("chatwoot", secrets, chatwoot_headers(b"c", "1795510499"), BODY, now=NOW)
    with pytest.raises(Unauthorized, match="301 s ahead"):
        check_signature("chatwoot", secrets, chatwoot_headers(b"c", "1795511101"), BODY, now=NOW)


def zendesk_headers(stamp: str) -> dict[str, str]:
    return {
        "X-Zendesk-Webhook-Signature": zendesk_signature(b"z", stamp, BODY),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def test_the_window_is_five_minutes_either_way() -> None:
    assert SIGNATURE_WINDOW_SECONDS == 5 * 60


def test_a_zendesk_timestamp_outside_the_window_is_refused_however_well_signed() -> None:
    secrets = {"zendesk": b"z"}
    check_signature("zendesk", secrets, zendesk_headers("2026-11-24T09:00:00Z"), BODY, now=NOW)
    check_signature("zendesk", secrets, zendesk_headers("2026-11-24T08:55:00Z"), BODY, now=NOW)
    with pytest.raises(Unauthorized, match="301 s old"):  # 09:00:00 - 08:54:59 = 301 s
        check_signature("zendesk", secrets, zendesk_headers("2026-11-24T08:54:59Z"), BODY, now=NOW)
    with pytest.raises(Unauthorized, match="old"):  # the replay of a 2019 delivery
        check_signature("zendesk", secrets, zendesk_headers("2019-03-25T05:09:27Z"), BODY, now=NOW)
    with pytest.raises(Unauthorized, match="ahead"):
        check_signature("zendesk", secrets, zendesk_headers("2026-11-24T09:05:01Z"), BODY, now=NOW)
    with pytest.raises(Unauthorized, match="not a time"):
        check_signature("zendesk", secrets, zendesk_headers("yesterday"), BODY, now=NOW)


WRITE_TOKEN = "write-token-0123456789"
READ_TOKEN = "read-token-0123456789"
CHATWOOT_TOKEN = "chatwoot-token-012345"
TOKENS = Tokens(WRITE_TOKEN, READ_TOKEN, {"chatwoot": CHATWOOT_TOKEN})


def test_the_write_token_admits_every_scope_in_the_header() -> None:
    for scope in (WRITE, READ, webhook_scope("chatwoot"), webhook_scope("zammad")):
        check_access(TOKENS, scope, f"Bearer {WRITE_TOKEN}", None)
        check_access(TOKENS, scope, f"bearer  {WRITE_TOKEN} ", None)


def test_a_token_in_the_url_admits_webhook_paths_only() -> None:
    check_access(TOKENS, webhook_scope("chatwoot"), None, CHATWOOT_TOKEN)
    check_access(TOKENS, webhook_scope("chatwoot"), "", WRITE_TOKEN)  # empty header: the URL's
    for scope in (WRITE, READ):
        with pytest.raises(Unauthorized, match="admits only /v1/webhooks"):
            check_access(TOKENS, scope, None, WRITE_TOKEN)


def test_a_webhook_token_admits_its_own_product_path_and_nothing_else() -> None:
    check_access(TOKENS, webhook_scope("chatwoot"), f"Bearer {CHATWOOT_TOKEN}", None)
    for scope in (WRITE, READ, webhook_scope("zammad"), webhook_scope("nosuch")):
        with pytest.raises(Unauthorized, match="does not admit this path"):
            check_access(TOKENS, scope, f"Bearer {CHATWOOT_TOKEN}", None)


def test_the_read_token_admits_reads_only() -> None:
    check_access(TOKENS, READ, f"Bearer {READ_TOKEN}", None)
    for scope in (WRITE, webhook_scope("chatwoot")):
        with pytest.raises(Unauthorized, match="does not admit this path"):
            check_access(TOKENS, scope, f"Bearer {READ_TOKEN}", None)


def test_a_missing_wrong_or_non_bearer_token_is_refused_without_showing_any_token() -> None:
    cases = [
        (f"Basic {WRITE_TOKEN}", None, "scheme"),
        ("Bearer nope-nope-nope-nope", None, "wrong token"),
        (None, "nope-nope-nope-nope", "wrong token"),
        (None, None, "missing token"),
    ]
    for header, query, message in cases:
        with pytest.raises(Unauthorized, match=message) as refused:
            check_access(TOKENS, webhook_scope("chatwoot"), header, query)
        assert not any(t in str(refused.value) for t in (WRITE_TOKEN, READ_TOKEN, CHATWOOT_TOKEN))


def test_a_token_shorter_than_16_characters_is_refused() -> None:
    check_token_strength("the token", "a" * 16)
    with pytest.raises(ValueError, match="has 15 characters, at least 16"):
        check_token_strength("the token", "a" * 15)
    with pytest.raises(ValueError, match="without spaces"):
        check_token_strength("the token", "a" * 10 + " " + "b" * 10)
    with pytest.raises(ValueError, match="the read token has 5"):
        Tokens(WRITE_TOKEN, "short").check()


def test_each_token_must_be_a_different_one() -> None:
    Tokens(WRITE_TOKEN, READ_TOKEN, {"chatwoot": CHATWOOT_TOKEN}).check()
    with pytest.raises(ValueError, match="the chatwoot token is the same as the token"):
        Tokens(WRITE_TOKEN, None, {"chatwoot": WRITE_TOKEN}).check()


def test_tokens_never_show_in_their_repr() -> None:
    assert repr(TOKENS) == "Tokens(read=True, webhooks=['chatwoot'])"


def test_webhook_tokens_are_named_products_only() -> None:
    assert parse_webhook_tokens(["Chatwoot=" + CHATWOOT_TOKEN]) == {"chatwoot": CHATWOOT_TOKEN}
    with pytest.raises(ValueError, match="one of chatwoot, zammad, zendesk"):
        parse_webhook_tokens(["freshdesk=" + CHATWOOT_TOKEN])
    with pytest.raises(ValueError, match="NAME=TOKEN"):
        parse_webhook_tokens(["chatwoot"])
    with pytest.raises(ValueError, match="the zammad token has 3 characters"):
        parse_webhook_tokens(["zammad=abc"])


def test_secrets_are_named_products_only() -> None:
    assert parse_secrets(["zammad=a=b", "Zendesk=c", "chatwoot=d"]) == {
        "zammad": b"a=b",
        "zendesk": b"c",
        "chatwoot": b"d",
    }
    with pytest.raises(ValueError, match="only chatwoot, zammad, zendesk"):
        parse_secrets(["freshdesk=x"])
    with pytest.raises(ValueError, match="NAME=SECRET"):
        parse_secrets(["zammad"])


def test_a_helpdesks_basic_credentials_do_not_hide_the_token_in_the_url() -> None:
    # Zammad sends its webhook's HTTP Basic credentials when they are filled in; the
    # ?token= of the URL still decides, and only on webhook paths
    basic = "Basic dXNlcjpwYXNz"
    check_access(TOKENS, webhook_scope("zammad"), basic, WRITE_TOKEN)
    with pytest.raises(Unauthorized, match="wrong token"):
        check_access(TOKENS, webhook_scope("zammad"), basic, "nope-nope-nope-nope")
    with pytest.raises(Unauthorized, match="admits only /v1/webhooks"):
        check_access(TOKENS, WRITE, basic, WRITE_TOKEN)
