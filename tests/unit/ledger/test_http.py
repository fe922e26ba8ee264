"""``GET /v1/outcomes`` and ``GET /v1/tickets/{id}`` in-process (aiohttp's test server), on
a real SQLite ledger fed by a real engine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from streams.core.engine import Engine
from streams.core.policy import load_policies
from streams.export.exporter import Exporter
from streams.ingest_http.app import Ingestion, make_app
from streams.ingest_http.auth import Tokens
from streams.ledger.http import add_read_routes
from streams.ledger.sink import Ledger
from streams.ledger.store import open_store
from tests.support import at, created, reply

WRITE_TOKEN = "write-token-0123456789"
READ_TOKEN = "read-token-0123456789"
VIP = {"customer_tier": "vip", "priority": "urgent", "channel": "chat"}  # 15 min, 24x7


class NoStore:
    async def append(self, records: list[Any]) -> None:
        raise AssertionError("nothing is posted here")

    def ready(self) -> bool:
        return True


def with_client(tmp_path: Path, test: Callable[[TestClient[Any, Any]], Awaitable[None]]) -> None:
    """An engine that saw: v1 answered after 5 min (met), v2 not answered by 09:20 (breached,
    running); the ledger keeps every record in memory until a read flushes it."""
    path = str(tmp_path / "ledger.sqlite3")
    ledger = Ledger(open_store(path), batch=10_000, interval=3600.0)
    engine = Engine(load_policies(None), Exporter())
    engine.records = ledger
    for event in (
        created("v1", "2026-11-23 09:00", **VIP),
        reply("v1", "2026-11-23 09:05", agent_id="ana"),
        created("v2", "2026-11-23 09:00", **VIP),
    ):
        engine.ingest(event, event_clock=True)
    engine.advance(at("2026-11-23 09:20"))
    app = make_app(Ingestion(store=NoStore(), tokens=Tokens(WRITE_TOKEN, READ_TOKEN)))
    add_read_routes(app, ledger, path, engine)

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            await test(client)

    asyncio.run(main())
    ledger.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_outcomes_need_a_read_token(tmp_path: Path) -> None:
    async def test(client: TestClient[Any, Any]) -> None:
        answer = await client.get("/v1/outcomes")
        assert (answer.status, await answer.text()) == (
            401, "missing token (Authorization: Bearer <token>)\n"
        )  # fmt: skip
        answer = await client.get("/v1/tickets/v1", headers=bearer("wrong-token-0123456789"))
        assert answer.status == 401

    with_client(tmp_path, test)


def test_outcomes_with_filters_as_json_and_csv(tmp_path: Path) -> None:
    async def test(client: TestClient[Any, Any]) -> None:
        answer = await client.get(
            "/v1/outcomes?outcome=breached&target=first_response", headers=bearer(READ_TOKEN)
        )
        assert answer.status == 200 and answer.content_type == "application/json"
        rows = await answer.json()
        assert [(r["ticket_id"], r["deadline"], r["stopped"]) for r in rows] == [
            ("v2", "2026-11-23T09:15:00Z", None)
        ]
        answer = await client.get(
            "/v1/outcomes?format=csv&agent=ana&from=2026-11-23&to=2026-11-24",
            headers=bearer(WRITE_TOKEN),
        )
        assert answer.status == 200 and answer.content_type == "text/csv"
        lines = (await answer.text()).splitlines()
        assert [line.split(",")[:2] for line in lines[1:]] == [["v1", "first_response"]]

    with_client(tmp_path, test)


def test_a_bad_parameter_is_a_one_line_400(tmp_path: Path) -> None:
    async def test(client: TestClient[Any, Any]) -> None:
        for query, reason in (
            ("outcome=late", "outcome 'late' is not one of met, breached\n"),
            ("format=xml", "format 'xml' is not one of csv, json\n"),
            ("limit=0", "limit must be a whole number from 1 to 1000000\n"),
        ):
            answer = await client.get(f"/v1/outcomes?{query}", headers=bearer(READ_TOKEN))
            assert (answer.status, await answer.text()) == (400, reason)

    with_client(tmp_path, test)


def test_a_ticket_journey_has_its_rows_and_its_live_clocks(tmp_path: Path) -> None:
    async def test(client: TestClient[Any, Any]) -> None:
        answer = await client.get("/v1/tickets/v2", headers=bearer(READ_TOKEN))
        assert answer.status == 200
        journey = await answer.json()
        assert [(r["target"], r["outcome"]) for r in journey["outcomes"]] == [
            ("first_response", "breached")
        ]
        live = journey["live"]
        assert (live["team"], live["state"], live["policy"]) == ("billing", "open", "vip-urgent")
        clocks = {clock["target"]: clock for clock in live["clocks"]}
        # first response: breached at 09:15, still running; resolution: 4 h from 09:00
        assert clocks["first_response"]["breached"] is True
        assert clocks["resolution"]["deadline"] == "2026-11-23T13:00:00Z"
        assert clocks["resolution"]["elapsed_seconds"] == 1200  # 09:00 -> engine's 09:20

    with_client(tmp_path, test)


def test_an_unknown_ticket_is_404(tmp_path: Path) -> None:
    async def test(client: TestClient[Any, Any]) -> None:
        answer = await client.get("/v1/tickets/nope", headers=bearer(READ_TOKEN))
        assert (answer.status, await answer.text()) == (
            404, "no ticket 'nope' in the ledger or engine\n"
        )  # fmt: skip

    with_client(tmp_path, test)
