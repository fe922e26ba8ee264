"""Create or update ServicePulse's data sources, folder and boards in a Grafana (HTTP API).

Idempotent: an object that already matches is left alone (a second push changes
nothing and creates no new dashboard version); provisioned (read-only) objects
are reported and left as they are. Every failure a user can cause — a wrong URL,
a server that is not Grafana, wrong credentials, missing permissions — becomes
one ``UserError`` line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaServerError,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)

from streams.errors import UserError

from . import ALERTMANAGER_UID, FOLDER_TITLE, FOLDER_UID, JSON_DIR, PROMETHEUS_UID
from .lib import ALERTMANAGER_NAME, PROMETHEUS_NAME

PUSH_MESSAGE = "servicepulse dashboards push"


@dataclass(frozen=True)
class DataSource:
    uid: str
    name: str
    type: str
    url: str
    json_data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "name": self.name,
            "type": self.type,
            "access": "proxy",
            "url": self.url,
            "isDefault": False,
            "jsonData": self.json_data,
        }


def data_sources(prometheus_url: str, alertmanager_url: str) -> list[DataSource]:
    """The two data sources the boards use (same uids as deploy/grafana/provisioning)."""
    return [
        DataSource(
            PROMETHEUS_UID,
            PROMETHEUS_NAME,
            "prometheus",
            prometheus_url,
            {"httpMethod": "POST", "timeInterval": "15s"},
        ),
        DataSource(
            ALERTMANAGER_UID,
            ALERTMANAGER_NAME,
            "alertmanager",
            alertmanager_url,
            {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
        ),
    ]


def load_boards(directory: Path = JSON_DIR) -> dict[str, dict[str, Any]]:
    """file name -> board, from the checked-in JSON (what CI verified)."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise UserError(f"no dashboard JSON in {directory} (run: servicepulse dashboards build)")
    boards = {}
    for path in files:
        try:
            boards[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot read {path}: {exc}") from None
    return boards


def check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UserError(f"--url {url!r} is not an http(s) URL such as http://localhost:3000")
    return url.rstrip("/")


class Pusher:
    """One push to one Grafana; ``log`` receives a line per object."""

    def __init__(
        self,
        url: str,
        credential: str | tuple[str, str],
        *,
        timeout: float = 10.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.url = check_url(url)
        self.api = GrafanaApi.from_url(self.url, credential=credential, timeout=timeout)
        self.log = log

    # -- errors -------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one API call; turn transport and auth failures into one-line UserErrors."""
        try:
            return fn(*args, **kwargs)
        except GrafanaUnauthorizedError:
            raise UserError(
                f"Grafana at {self.url} rejected the credentials (401) while trying to {what}: "
                "check --token or --user/--password"
            ) from None
        except GrafanaTimeoutError:
            raise UserError(f"Grafana at {self.url} did not answer in time ({what})") from None
        except GrafanaServerError as exc:
            raise UserError(f"Grafana at {self.url} failed to {what}: {exc.message}") from None
        except GrafanaClientError as exc:
            if exc.status_code == 403:
                raise UserError(
                    f"Grafana at {self.url} refused to {what} (403): the account needs the "
                    "Admin role for data sources, Editor for folders and dashboards"
                ) from None
            if exc.status_code == 404:
                raise
            raise UserError(f"Grafana at {self.url} refused to {what}: {_message(exc)}") from None
        except GrafanaException as exc:
            raise UserError(f"cannot {what} at {self.url}: {exc.message}") from None
        except niquests.exceptions.RequestException as exc:
            raise UserError(f"cannot reach Grafana at {self.url}: {_reason(exc)}") from None
        except ValueError:  # a 2xx answer that is not JSON: not Grafana's API
            raise UserError(
                f"{self.url} does not answer like Grafana's HTTP API (while trying to {what}); "
                "check --url"
            ) from None

    def _get(self, what: str, fn: Callable[..., Any], *args: Any) -> Any | None:
        """A GET that may find nothing (404 -> None)."""
        try:
            return self._call(what, fn, *args)
        except GrafanaClientError:
            return None

    # -- steps --------------------------------------------------------------

    def connect(self) -> str:
        """Check that the URL is a Grafana and the credentials work; returns its version."""
        try:
            health = self._call("read /api/health", self.api.client.GET, "/health")
        except GrafanaClientError as exc:  # a 404 here: some other HTTP server
            raise UserError(
                f"{self.url} is not a Grafana (GET /api/health answered {exc.status_code}); "
                "check --url"
            ) from None
        if not isinstance(health, dict) or "database" not in health:
            raise UserError(
                f"{self.url} is not a Grafana (unexpected /api/health answer); check --url"
            )
        # /api/health needs no login: prove the credentials with a call that does.
        self._call("search dashboards", self.api.search.search_dashboards, limit=1)
        version = str(health.get("version", "?"))
        self.log(f"Grafana {version} at {self.url}")
        return version

    def push_data_source(self, ds: DataSource) -> str:
        what = f"data source {ds.name} ({ds.uid})"
        current = self._get(f"read {what}", self.api.datasource.get_datasource_by_uid, ds.uid)
        if current is None:
            self._call(f"create {what}", self.api.datasource.create_datasource, ds.body())
            return self._done(what, "created")
        if current.get("readOnly"):
            return self._done(what, "provisioned by the server, left as it is")
        body = {**current, **ds.body()}
        body["jsonData"] = {**(current.get("jsonData") or {}), **ds.json_data}
        if all(current.get(k) == v for k, v in body.items()):
            return self._done(what, "unchanged")
        self._call(f"update {what}", self.api.datasource.update_datasource_by_uid, ds.uid, body)
        return self._done(what, "updated")

    def push_folder(self) -> str:
        what = f"folder {FOLDER_TITLE} ({FOLDER_UID})"
        current = self._get(f"read {what}", self.api.folder.get_folder, FOLDER_UID)
        if current is None:
            self._call(
                f"create {what}", self.api.folder.create_folder, FOLDER_TITLE, uid=FOLDER_UID
            )
            return self._done(what, "created")
        if current.get("title") == FOLDER_TITLE:
            return self._done(what, "unchanged")
        self._call(
            f"rename {what}",
            self.api.folder.update_folder,
            FOLDER_UID,
            title=FOLDER_TITLE,
            overwrite=True,
        )
        return self._done(what, "updated")

    def push_board(self, board: dict[str, Any]) -> str:
        uid = board["uid"]
        what = f"dashboard {board['title']!r} ({uid})"
        current = self._get(f"read {what}", self.api.dashboard.get_dashboard, uid)
        if current is not None:
            meta = current.get("meta", {})
            if meta.get("provisioned"):
                return self._done(what, "provisioned by the server, left as it is")
            if meta.get("folderUid") == FOLDER_UID and _same(current.get("dashboard", {}), board):
                return self._done(what, "unchanged")
        payload = {
            "dashboard": {**board, "id": None},
            "folderUid": FOLDER_UID,
            "overwrite": True,
            "message": PUSH_MESSAGE,
        }
        answer = self._call(f"save {what}", self.api.dashboard.update_dashboard, payload)
        status = "created" if current is None else "updated"
        url = answer.get("url", "") if isinstance(answer, dict) else ""
        return self._done(what, f"{status} ({self.url}{url})" if url else status)

    def push(self, sources: Iterable[DataSource], boards: dict[str, dict[str, Any]]) -> None:
        self.connect()
        for ds in sources:
            self.push_data_source(ds)
        self.push_folder()
        for board in boards.values():
            self.push_board(board)

    def _done(self, what: str, status: str) -> str:
        self.log(f"  {what}: {status}")
        return status.split(" ", 1)[0]


_VOLATILE = ("id", "version", "iteration")


def _same(current: dict[str, Any], board: dict[str, Any]) -> bool:
    """True when the stored board equals ours, ignoring what Grafana sets itself."""
    a = {k: v for k, v in current.items() if k not in _VOLATILE}
    b = {k: v for k, v in board.items() if k not in _VOLATILE}
    return a == b


def _message(exc: GrafanaException) -> str:
    response = exc.response
    if isinstance(response, dict) and "message" in response:
        return f"{response['message']} ({exc.status_code})"
    return exc.message


def _reason(exc: Exception) -> str:
    text = str(exc)
    for hint in ("Connection refused", "Name or service not known", "timed out", "certificate"):
        if hint.lower() in text.lower():
            return hint.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__
