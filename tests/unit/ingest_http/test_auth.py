from __future__ import annotations

import base64
import subprocess

import pytest

from streams.ingest_http.auth import (
    Unauthorized,
    check_signature,
    check_token,
    parse_secrets,
    zammad_signature,
    zendesk_signature,
)

BODY = b'{"ticket":{"id":31}}'


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


def test_a_matching_signature_passes_and_any_other_is_refused() -> None:
    secrets = {"zammad": b"s", "zendesk": b"z"}
    check_signature("zammad", secrets, {"X-Hub-Signature": zammad_signature(b"s", BODY)}, BODY)
    with pytest.raises(Unauthorized, match="does not match"):
        check_signature("zammad", secrets, {"X-Hub-Signature": zammad_signature(b"x", BODY)}, BODY)
    with pytest.raises(Unauthorized, match="missing"):
        check_signature("zendesk", secrets, {"X-Zendesk-Webhook-Signature": "abc"}, BODY)
    check_signature("chatwoot", secrets, {}, BODY)  # Chatwoot does not sign
    check_signature("zammad", {}, {}, BODY)  # no secret configured: token only


def test_token_in_header_or_query() -> None:
    check_token("t", "Bearer t", None)
    check_token("t", None, "t")
    for header, query in (("Bearer u", None), ("Basic t", None), (None, "u"), (None, None)):
        with pytest.raises(Unauthorized):
            check_token("t", header, query)


def test_secrets_are_named_products_only() -> None:
    assert parse_secrets(["zammad=a=b", "Zendesk=c"]) == {"zammad": b"a=b", "zendesk": b"c"}
    with pytest.raises(ValueError, match="only zammad, zendesk"):
        parse_secrets(["chatwoot=x"])
    with pytest.raises(ValueError, match="NAME=SECRET"):
        parse_secrets(["zammad"])
