"""The routes of contract section 5 in-process (aiohttp's test server, a list as the store):
scopes of the tokens, 401 before 404, bodies that are not what they claim, limits."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from streams.errors import UserError
from streams.ingest_http.app import READ, Ingestion, authorise, make_app
from streams.ingest_http.auth import Tokens
from streams.ingest_http.bodies import Record
from streams.ingest_http.options import add_http_options, ingestion_from_args, tokens_from_args

WRITE_TOKEN = "write-token-0123456789"
READ_TOKEN = "read-token-0123456789"
CHATWOOT_TOKEN = "chatwoot-token-012345"
EVENT = {"event_id": "e1", "type": "ticket.reopened", "ticket_id": "t1",
         "ts": "2026-11-24T06:00:00+00:00"}  # fmt: skip


class ListStore:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def append(self, records: list[Record]) -> None:
        self.records.extend(records)

    def ready(self) -> bool:
        return True


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_client(
    test: Callable[[TestClient[Any, Any], ListStore], Awaitable[None]], max_body: int = 1 << 20
) -> ListStore:
    """Run ``test`` against the app (with a read route as a command would add one)."""
    store = ListStore()
    tokens = Tokens(WRITE_TOKEN, READ_TOKEN, {"chatwoot": CHATWOOT_TOKEN})
    app = make_app(Ingestion(store=store, tokens=tokens, max_body=max_body))

    async def outcomes(request: web.Request) -> web.StreamResponse:
        authorise(request, READ)
        return web.json_response({"rows": []})

    app.router.add_get("/v1/outcomes", outcomes)

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            await test(client, store)

    asyncio.run(main())
    return store


async def status_text(response: Any) -> tuple[int, str]:
    return response.status, await response.text()


def test_the_read_scope_admits_the_read_and_write_tokens_only() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        for token in (READ_TOKEN, WRITE_TOKEN):
            answer = await client.get("/v1/outcomes", headers=bearer(token))
            assert (answer.status, await answer.json()) == (200, {"rows": []})
        status, text = await status_text(
            await client.get("/v1/outcomes", headers=bearer(CHATWOOT_TOKEN))
        )
        assert (status, text) == (401, "this token does not admit this path\n")
        status, text = await status_text(await client.get(f"/v1/outcomes?token={READ_TOKEN}"))
        assert status == 401 and "admits only /v1/webhooks" in text
        # the read token cannot write
        status, _ = await status_text(
            await client.post("/v1/events", json=EVENT, headers=bearer(READ_TOKEN))
        )
        assert status == 401

    assert with_client(test).records == []


def test_a_chatwoot_webhook_token_in_the_url_cannot_post_events() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        url_token = f"?token={CHATWOOT_TOKEN}"
        for answer in (
            await client.post(f"/v1/events{url_token}", json=EVENT),
            await client.post("/v1/events", json=EVENT, headers=bearer(CHATWOOT_TOKEN)),
            await client.post(f"/v1/webhooks/zammad{url_token}", json={"ticket": {}}),
        ):
            status, text = await status_text(answer)
            assert status == 401 and text.count("\n") == 1, text
        # its own path admits it (and reads the body: not a Chatwoot payload, 400)
        status, text = await status_text(
            await client.post(f"/v1/webhooks/chatwoot{url_token}", json={"x": 1})
        )
        assert (status, text) == (400, "chatwoot: not a Chatwoot webhook: no 'event' field\n")

    assert with_client(test).records == []


def test_an_unknown_webhook_is_401_without_a_token_then_404_without_echoing_its_name() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        name = "nosuch<script>"
        status, text = await status_text(await client.post(f"/v1/webhooks/{name}", data=b"{}"))
        assert (status, text) == (401, "missing token (Authorization: Bearer <token>)\n")
        status, text = await status_text(
            await client.post(f"/v1/webhooks/{name}", data=b"{}", headers=bearer(CHATWOOT_TOKEN))
        )
        assert (status, text) == (401, "this token does not admit this path\n")
        status, text = await status_text(
            await client.post(f"/v1/webhooks/{name}", data=b"{}", headers=bearer(WRITE_TOKEN))
        )
        assert (status, text) == (404, "no such webhook; one of chatwoot, zammad, zendesk\n")

    with_client(test)


def test_a_corrupt_gzip_body_is_a_one_line_400_and_a_gzip_bomb_a_413() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        headers = {**bearer(WRITE_TOKEN), "Content-Encoding": "gzip"}
        good = gzip.compress(json.dumps(EVENT).encode())
        for corrupt in (b"not gzip at all", good[:10] + b"\x00" * 20 + good[30:]):
            status, text = await status_text(
                await client.post("/v1/events", data=corrupt, headers=headers)
            )
            assert status == 400 and text.startswith("cannot read the body: "), text
            assert text.count("\n") == 1
        # 64 MiB of zeros in 64 KiB: refused when the decompressed body passes --max-body
        bomb = zlib.compress(b"0" * (64 << 20), 9)
        deflate = {**bearer(WRITE_TOKEN), "Content-Encoding": "deflate"}
        status, text = await status_text(
            await client.post("/v1/events", data=bomb, headers=deflate)
        )
        assert (status, text) == (413, f"body larger than {1 << 20} bytes\n")
        answer = await client.post("/v1/events", data=good, headers=headers)
        assert (answer.status, await answer.json()) == (200, {"accepted": 1, "rejected": []})

    assert [r.key for r in with_client(test).records] == ["t1"]


def test_too_many_elements_is_a_one_line_413_and_nothing_is_stored() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        body = b"[" + b",".join([b"0"] * 10_001) + b"]"
        status, text = await status_text(
            await client.post("/v1/events", data=body, headers=bearer(WRITE_TOKEN))
        )
        assert status == 413
        assert text == "10001 events in the body, at most 10000; send them in several requests\n"
        status, text = await status_text(
            await client.post("/v1/events", data=b" " * 70_001, headers=bearer(WRITE_TOKEN))
        )
        assert (status, text) == (413, "body larger than 70000 bytes\n")

    assert with_client(test, max_body=70_000).records == []


def test_an_answer_lists_100_rejections_and_their_total() -> None:
    async def test(client: TestClient[Any, Any], store: ListStore) -> None:
        body = json.dumps([EVENT] + [0] * 300).encode()
        answer = await client.post("/v1/events", data=body, headers=bearer(WRITE_TOKEN))
        found = await answer.json()
        assert found["accepted"] == 1 and found["rejected_total"] == 300
        assert found["rejected"][0] == {"index": 1, "reason": "not_an_object"}
        assert found["rejected"][-1] == {"index": 100, "reason": "not_an_object"}
        assert len(found["rejected"]) == 100

    assert len(with_client(test).records) == 301  # rejected ones are stored to be counted


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_http_options(parser, port=8080)
    return parser


def test_a_token_file_gives_the_token_and_a_short_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(WRITE_TOKEN + "\n")
    args = parser().parse_args(["--token-file", str(path)])
    assert tokens_from_args(args, {}).write == WRITE_TOKEN
    path.write_text("short-token\n")
    with pytest.raises(UserError, match="the token has 11 characters, at least 16") as refused:
        tokens_from_args(args, {})
    assert "short-token" not in str(refused.value)
    path.write_text("\n\n")
    with pytest.raises(UserError, match="is empty"):
        tokens_from_args(args, {})
    with pytest.raises(UserError, match="No such file"):
        tokens_from_args(parser().parse_args(["--token-file", str(tmp_path / "nope")]), {})
    both = parser().parse_args(["--token-file", str(path), "--token", WRITE_TOKEN])
    with pytest.raises(UserError, match="give one of them"):
        tokens_from_args(both, {})


def test_the_environment_gives_every_token_and_each_is_checked() -> None:
    environ = {
        "SERVICEPULSE_TOKEN": WRITE_TOKEN,
        "SERVICEPULSE_READ_TOKEN": READ_TOKEN,
        "SERVICEPULSE_WEBHOOK_TOKENS": f"chatwoot={CHATWOOT_TOKEN}",
    }
    tokens = tokens_from_args(parser().parse_args([]), environ)
    assert (tokens.write, tokens.read, dict(tokens.webhooks)) == (
        WRITE_TOKEN,
        READ_TOKEN,
        {"chatwoot": CHATWOOT_TOKEN},
    )
    with pytest.raises(UserError, match="a token is required"):
        tokens_from_args(parser().parse_args([]), {})
    same = parser().parse_args(["--token", WRITE_TOKEN, "--read-token", WRITE_TOKEN])
    with pytest.raises(UserError, match="the read token is the same as the token"):
        tokens_from_args(same, {})


def test_the_limits_reach_the_ingestion() -> None:
    args = parser().parse_args(
        ["--token", WRITE_TOKEN, "--request-timeout", "7", "--max-connections", "40"]
    )
    ingestion = ingestion_from_args(args, ListStore())
    assert (ingestion.request_timeout, ingestion.max_connections) == (7.0, 40)
    with pytest.raises(UserError, match="--max-connections must be at least 1"):
        ingestion_from_args(
            parser().parse_args(["--token", WRITE_TOKEN, "--max-connections", "0"]), ListStore()
        )
