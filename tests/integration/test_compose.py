"""docker-compose.yml and the Dockerfile, checked statically (no Docker engine in CI).

* every service has a pinned image or a build whose Dockerfile exists;
* every bind-mounted file or folder exists in the repo, every named volume is declared;
* no host port is published twice, and each is in docs/deployment.md;
* Kafka is KRaft single node and consistent (listeners, voters, advertised names) and the
  same version as deploy/kafka; the workers, topic-init and the simulator point at its
  internal listener, and their commands parse with the real `servicepulse` parser;
* Prometheus (deploy/prometheus/prometheus.compose.yml) scrapes exactly the compose
  workers on their metrics port, loads the project's rule files, alerts to the compose
  Alertmanager, and stays in step with deploy/prometheus/prometheus.yml;
* Alertmanager's compose config is render.py's routing tree aimed at the team-lead service;
* Grafana gets deploy/grafana/provisioning with every variable it expands;
* the history profile: only `backfill` has a profile and only Prometheus waits for it (not
  required), on the same volume, with the rules Prometheus loads; its script, run here,
  writes blocks that Prometheus, started as prom/prometheus's user, serves and compacts;
* the Dockerfile: python:3.11-slim, dependencies layer before the source layer, non-root,
  every COPY source allowed by .dockerignore.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from streams.cli import build_parser
from streams.kafka.settings import Settings
from streams.monitoring.alertmanager import COMPOSE_RECEIVER
from streams.settings import declared as declared_settings
from streams.stack.alertmanager import compose_alertmanager_text
from streams.stack.layout import COMPOSE_ALERTMANAGER, TEAM_LEAD, WORKER_JOB
from tests.compose_files import interpolate
from tests.filesystems import own_filesystem
from tests.processes import free_port

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
DEPLOYMENT_DOC = REPO / "docs" / "deployment.md"
APP_COMMANDS = ("worker", "simulate", "topics", "replay", "demo")


# ---- helpers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE_FILE.read_text())  # resolves the x- anchors and << merges
    assert isinstance(doc, dict) and isinstance(doc.get("services"), dict)
    return interpolate(doc)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def raw_services() -> dict[str, dict[str, Any]]:
    """The services before interpolation (``${VAR:-default}`` as written)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def as_list(command: Any) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def mounts(service: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(type, source, target) of each volume entry, short or long syntax."""
    for entry in service.get("volumes") or []:
        if isinstance(entry, str):
            parts = entry.split(":")
            source, target = parts[0], parts[1]
            kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        else:
            kind, source, target = entry["type"], entry.get("source", ""), entry["target"]
        yield kind, source, target


def host_ports(service: dict[str, Any]) -> Iterator[tuple[str, int, int]]:
    """(host ip, host port, container port) of each published port."""
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            yield (
                entry.get("host_ip", "0.0.0.0"),
                int(entry["published"]),
                int(entry["target"]),
            )
            continue
        spec = str(entry).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 3:
            yield parts[0], int(parts[1]), int(parts[2])
        elif len(parts) == 2:
            yield "0.0.0.0", int(parts[0]), int(parts[1])
        else:
            pytest.fail(f"port {entry!r} publishes no fixed host port")


def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Services running the project's image (built from the Dockerfile)."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def workers(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in app_services(services).items()
        if as_list(svc.get("command"))[:1] == ["worker"]
    }


def metrics_port(service: dict[str, Any]) -> int:
    _, default = declared_settings(Settings)["port"]
    return int(env_of(service).get("SERVICEPULSE_METRICS_PORT", default))


def bind_source(source: str) -> Path:
    return (REPO / source).resolve() if not source.startswith("/") else Path(source)


def container_file(service: dict[str, Any], target: str) -> Path | None:
    """The repo file that a bind mount of ``service`` shows at container path ``target``."""
    target_path = PurePosixPath(target)
    for kind, source, mount_target in mounts(service):
        if kind != "bind":
            continue
        try:
            rest = target_path.relative_to(PurePosixPath(mount_target))
        except ValueError:
            continue
        return bind_source(source) / rest
    return None


def kafka_internal(services: dict[str, dict[str, Any]]) -> str:
    """host:port of the Kafka listener that other containers use (the inter-broker one)."""
    env = env_of(services["kafka"])
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    return advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]]


# ---- the compose file -----------------------------------------------------------------------


def test_the_expected_services_are_there(services: dict[str, dict[str, Any]]) -> None:
    for name in (
        "kafka",
        "topic-init",
        "simulator",
        "prometheus",
        "alertmanager",
        "grafana",
        "team-lead",
    ):
        assert name in services, f"service {name} missing"
    assert len(workers(services)) >= 2, "two worker replicas show the scale-out"


def test_every_service_has_a_pinned_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    built_images = set()
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, f"{name}: neither image nor build"
        if "build" in svc:
            build = svc["build"]
            context = REPO / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
            assert context.is_dir(), f"{name}: build context {context} missing"
            assert (context / (dockerfile or "Dockerfile")).is_file(), f"{name}: no Dockerfile"
            target = None if isinstance(build, str) else build.get("target")
            built_images.add((svc.get("image"), target))
            continue
        image = svc["image"]
        repo_name, _, tag = image.rpartition(":")
        assert repo_name and tag and "/" not in tag, f"{name}: image {image} has no tag"
        assert tag != "latest", f"{name}: image {image} is not pinned"
    # one app image; the backfill's history image is the Dockerfile's `history` target
    targets = {target for _, target in built_images}
    assert targets <= {None, "history"}, targets
    assert len(built_images) == len(targets) == len({image for image, _ in built_images}), (
        f"the app services build different images: {built_images}"
    )


def test_official_images(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "kafka": "apache/kafka:",
        "prometheus": "prom/prometheus:",
        "alertmanager": "prom/alertmanager:",
        "grafana": "grafana/grafana:",
    }
    for name, prefix in expected.items():
        assert services[name]["image"].startswith(prefix), f"{name}: {services[name]['image']}"


def test_kafka_is_the_version_of_deploy_kafka() -> None:
    text = (REPO / "deploy" / "kafka" / "kafka.sh").read_text()
    version = re.search(r'KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"', text)
    assert version, "KAFKA_VERSION default not found in deploy/kafka/kafka.sh"
    image = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["kafka"]["image"]
    assert image == f"apache/kafka:{version.group(1)}"


def test_bind_mounts_exist_and_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set((compose.get("volumes") or {}).keys())
    used = set()
    users_files = {
        (name, target)
        for name, svc in raw_services().items()
        for kind, source, target in mounts(svc)
        if kind == "bind" and source.startswith("${SERVICEPULSE_HISTORY")
    }
    for name, svc in compose["services"].items():
        for kind, source, target in mounts(svc):
            assert target.startswith("/"), f"{name}: mount target {target} is not absolute"
            if (name, target) in users_files:  # the user's history, not a file of the repo
                continue
            if kind == "bind":
                assert source.startswith("./"), f"{name}: {source} is not inside the repo"
                path = bind_source(source)
                assert path.exists(), f"{name}: mounted {source} does not exist in the repo"
                assert REPO in path.parents, f"{name}: {source} leaves the repo"
            elif kind == "volume":
                assert source in declared, f"{name}: volume {source} not declared"
                used.add(source)
    assert used == declared, f"declared but unused volumes: {declared - used}"


def test_state_is_on_named_volumes(services: dict[str, dict[str, Any]]) -> None:
    wanted = {
        "kafka": "/var/lib/kafka/data",
        "prometheus": "/prometheus",
        "alertmanager": "/alertmanager",
        "grafana": "/var/lib/grafana",
    }
    for name, target in wanted.items():
        assert ("volume", target) in {(k, t) for k, _, t in mounts(services[name])}, name
    worker_volumes = []
    for name, svc in workers(services).items():
        volumes = [s for k, s, t in mounts(svc) if k == "volume"]
        assert volumes, f"{name}: no state volume"
        worker_volumes += volumes
    assert len(worker_volumes) == len(set(worker_volumes)), "workers share a state volume"


def test_host_ports_do_not_clash_and_are_documented(services: dict[str, dict[str, Any]]) -> None:
    seen: dict[int, str] = {}
    doc = DEPLOYMENT_DOC.read_text()
    header = COMPOSE_FILE.read_text().split("\nname:")[0]
    for name, svc in services.items():
        for ip, host, container in host_ports(svc):
            assert host not in seen, f"host port {host} of {name} also used by {seen[host]}"
            seen[host] = name
            assert ip == "127.0.0.1", f"{name}: port {host} published beyond loopback"
            assert 0 < container < 65536
            assert str(host) in header, f"port {host} ({name}) not in the compose file's header"
            assert re.search(rf"\b{host}\b", doc), f"port {host} ({name}) not in {DEPLOYMENT_DOC}"
    assert len(seen) >= 6


def test_depends_on_is_consistent(services: dict[str, dict[str, Any]]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    graph: dict[str, set[str]] = {}
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {d: {"condition": "service_started"} for d in deps}
        graph[name] = set(deps)
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            condition = spec.get("condition", "service_started")
            assert condition in conditions, f"{name}: condition {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}'s healthcheck"
    # no cycle
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        assert state.get(node) != 1, f"dependency cycle through {node}"
        if state.get(node) == 2:
            return
        state[node] = 1
        for dep in graph[node]:
            visit(dep)
        state[node] = 2

    for node in graph:
        visit(node)


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        if svc.get("restart") == "no" or name == "simulator":  # one-shot; a pure producer
            continue
        check = svc.get("healthcheck")
        assert check and check.get("test"), f"{name}: no healthcheck"
        test = as_list(check["test"])
        assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck {test}"


def test_kafka_is_kraft_single_node(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in key for key in env)
    node = env["KAFKA_NODE_ID"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"]), "CLUSTER_ID: 16 bytes base64url"
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) <= set(protocols), "every listener has a security protocol"
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert len(voters) == 1, "single node"
    voter_id, _, voter_address = voters[0].partition("@")
    assert voter_id == node
    assert voter_address == f"kafka:{listeners[controller].rsplit(':', 1)[1]}"
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert controller not in advertised
    for name, address in advertised.items():
        assert name in listeners, f"advertised listener {name} is not a listener"
        assert address.rsplit(":", 1)[1] == listeners[name].rsplit(":", 1)[1]
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    assert kafka_internal(services).split(":")[0] == "kafka"
    # the host listener is published on its own port, the internal one is not
    published = {container: host for _, host, container in host_ports(services["kafka"])}
    external = [n for n, a in advertised.items() if a.startswith("localhost:")]
    assert external, "a listener advertised as localhost for tools on the host"
    port = int(advertised[external[0]].rsplit(":", 1)[1])
    assert published.get(port) == port
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    ):
        assert str(env[key]) == "1"


def test_app_services_use_the_compose_kafka(services: dict[str, dict[str, Any]]) -> None:
    internal = kafka_internal(services)
    apps = app_services(services)
    for name, svc in apps.items():
        command = as_list(svc.get("command"))
        if not command or command[0] not in APP_COMMANDS or command[0] in ("replay", "demo"):
            continue
        broker = env_of(svc).get("SERVICEPULSE_BROKER")
        if "--broker" in command:
            broker = command[command.index("--broker") + 1]
        assert broker == internal, f"{name}: broker {broker}, not the compose Kafka {internal}"
        depends = svc.get("depends_on") or {}
        assert "kafka" in depends or "topic-init" in depends, f"{name} starts before Kafka"
    for name, svc in workers(services).items():
        assert svc["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"
        env = env_of(svc)
        assert env.get("SERVICEPULSE_PARTITIONS") == env_of(services["topic-init"]).get(
            "SERVICEPULSE_PARTITIONS"
        ), f"{name}: partition count differs from topic-init's"


def test_app_commands_parse_with_the_real_cli(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    for name, svc in app_services(services).items():
        entrypoint = as_list(svc.get("entrypoint"))
        command = as_list(svc.get("command"))
        if entrypoint:  # not `servicepulse`: a script from the repo
            assert entrypoint[0] == "python", f"{name}: entrypoint {entrypoint}"
            script = container_file(svc, entrypoint[1])
            assert script is not None and script.is_file(), f"{name}: {entrypoint[1]} not mounted"
            continue
        assert command and command[0] in APP_COMMANDS, f"{name}: command {command}"
        args = parser.parse_args(command)  # exits (SystemExit) on an unknown option
        assert callable(getattr(args, "func", None)), f"{name}: {command} runs nothing"


def test_dockerfile_entrypoint_is_the_cli() -> None:
    text = DOCKERFILE.read_text()
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])", text, re.M)
    assert entry and yaml.safe_load(entry.group(1)) == ["servicepulse"]
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'servicepulse = "streams.cli:main"' in pyproject


# ---- Prometheus, Alertmanager, Grafana ------------------------------------------------------


def _container_config(service: dict[str, Any], flag: str, default: str) -> tuple[str, Path]:
    path = default
    for arg in as_list(service.get("command")):
        if arg.startswith(f"{flag}="):
            path = arg.split("=", 1)[1]
    local = container_file(service, path)
    assert local is not None and local.is_file(), f"{path} is not mounted from the repo"
    return path, local


def test_prometheus_scrapes_the_compose_workers(services: dict[str, dict[str, Any]]) -> None:
    prom = services["prometheus"]
    config_path, local = _container_config(prom, "--config.file", "/etc/prometheus/prometheus.yml")
    config = yaml.safe_load(local.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {
        target
        for group in jobs[WORKER_JOB].get("static_configs", [])
        for target in group["targets"]
    }
    expected = {f"{name}:{metrics_port(svc)}" for name, svc in workers(services).items()}
    assert targets == expected, f"Prometheus scrapes {targets}, the compose workers are {expected}"
    for name, svc in workers(services).items():
        container_ports = {c for _, _, c in host_ports(svc)}
        assert metrics_port(svc) in container_ports, f"{name}: metrics port not published"
        check = " ".join(as_list(svc["healthcheck"]["test"]))
        assert f":{metrics_port(svc)}/" in check, f"{name}: healthcheck on another port"
    # the rule files, resolved inside the container, are the repo's
    rule_files = config.get("rule_files") or []
    assert rule_files
    for rule_file in rule_files:
        in_container = PurePosixPath(config_path).parent / rule_file
        local_rule = container_file(prom, str(in_container))
        assert local_rule is not None and local_rule.is_file(), f"{rule_file} not mounted"
        assert local_rule.resolve().parent == REPO / "deploy" / "prometheus" / "rules"
    am_targets = [
        target
        for am in config["alerting"]["alertmanagers"]
        for group in am["static_configs"]
        for target in group["targets"]
    ]
    assert am_targets == ["alertmanager:9093"]
    assert "9093" in {str(c) for _, _, c in host_ports(services["alertmanager"])}


def test_compose_prometheus_keeps_step_with_the_main_config() -> None:
    base = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    mine = yaml.safe_load((REPO / "deploy/prometheus/prometheus.compose.yml").read_text())
    assert mine["rule_files"] == base["rule_files"]
    assert mine["global"] == base["global"]
    base_jobs = {job["job_name"] for job in base["scrape_configs"]} - {"servicepulse-demo"}
    assert base_jobs <= {job["job_name"] for job in mine["scrape_configs"]}


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed")
def test_compose_prometheus_config_is_valid() -> None:
    done = subprocess.run(
        ["promtool", "check", "config", "deploy/prometheus/prometheus.compose.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_alertmanager_routes_to_the_team_lead_receiver(
    services: dict[str, dict[str, Any]],
) -> None:
    am = services["alertmanager"]
    _, local = _container_config(am, "--config.file", "/etc/alertmanager/alertmanager.yml")
    assert local == COMPOSE_ALERTMANAGER
    assert local.read_text() == compose_alertmanager_text(), (
        f"{local} is out of date: run `servicepulse stack compose-config`"
    )
    config = yaml.safe_load(local.read_text())
    lead_port = {c for _, _, c in host_ports(services["team-lead"])}
    command = as_list(services["team-lead"].get("command"))
    assert int(command[command.index("--port") + 1]) in lead_port
    urls = [hook["url"] for rec in config["receivers"] for hook in rec.get("webhook_configs", [])]
    assert urls
    for url in urls:
        assert url.startswith(f"{COMPOSE_RECEIVER}/"), url
    lead = f"http://team-lead:{command[command.index('--port') + 1]}"
    assert lead == COMPOSE_RECEIVER
    routed = {r["receiver"] for r in config["route"]["routes"]}
    assert {"lead-billing", "lead-technical", "lead-sales", "lead-platform"} <= routed
    assert config["inhibit_rules"], "the inhibitions of render.py"


@pytest.mark.skipif(not shutil.which("amtool"), reason="amtool not installed")
def test_compose_alertmanager_config_is_valid() -> None:
    done = subprocess.run(
        ["amtool", "check-config", str(COMPOSE_ALERTMANAGER)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_gets_the_provisioning(services: dict[str, dict[str, Any]]) -> None:
    grafana = services["grafana"]
    provisioning = container_file(grafana, "/etc/grafana/provisioning")
    assert provisioning == REPO / "deploy" / "grafana" / "provisioning"
    env = env_of(grafana)
    for path in sorted(provisioning.rglob("*.y*ml")):
        values = json.dumps(yaml.safe_load(path.read_text()))  # the values, not the comments
        for var in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", values):
            if var.startswith("GF_") or var == "__file":
                continue
            assert var in env, f"{path.name} expands ${var}, which grafana's environment lacks"
    boards = container_file(grafana, env["SERVICEPULSE_DASHBOARDS_DIR"])
    assert boards == REPO / "dashboards" / "json" and any(boards.glob("*.json"))
    assert env["SERVICEPULSE_PROMETHEUS_URL"] == "http://prometheus:9090"
    assert env["SERVICEPULSE_ALERTMANAGER_URL"] == "http://alertmanager:9093"
    home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        local = container_file(grafana, home)
        assert local is not None and local.is_file(), home


def test_team_lead_receiver_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(TEAM_LEAD), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "--port" in done.stdout


@pytest.mark.skipif(
    subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode
    != 0
    if shutil.which("docker")
    else True,
    reason="no `docker compose` plugin here",
)
def test_docker_compose_config_accepts_the_file() -> None:
    done = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# ---- the history profile (docs/history.md) ----------------------------------------------------

HISTORY = "backfill"
PROMETHEUS_USER = "65534:65534"  # prom/prometheus runs as nobody:nobody


def flag(command: list[str], name: str) -> str:
    for i, arg in enumerate(command):
        if arg == name:
            return command[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} missing from {command}")


def load_history_script(service: dict[str, Any]) -> Any:
    """The module the backfill service runs (its entrypoint, mounted from the repo)."""
    import importlib.util

    script = container_file(service, as_list(service["entrypoint"])[1])
    assert script is not None and script.is_file()
    spec = importlib.util.spec_from_file_location("load_history", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_backfill_has_a_profile_so_a_plain_up_is_unchanged(
    services: dict[str, dict[str, Any]],
) -> None:
    profiled = {name: svc["profiles"] for name, svc in services.items() if "profiles" in svc}
    assert profiled == {HISTORY: ["history"]}
    waiting = {name for name, svc in services.items() if HISTORY in (svc.get("depends_on") or {})}
    assert waiting == {"prometheus"}, "only Prometheus waits for the history"
    # not required: without the profile compose drops the dependency instead of refusing
    assert services["prometheus"]["depends_on"][HISTORY] == {
        "condition": "service_completed_successfully",
        "required": False,
    }
    assert services[HISTORY]["restart"] == "no" and not services[HISTORY].get("depends_on")


def test_prometheus_keeps_30_days_for_the_error_budgets_unless_told_to_keep_the_history() -> None:
    command = as_list(raw_services()["prometheus"]["command"])
    retention = flag(command, "--storage.tsdb.retention.time")
    assert retention == "${PROMETHEUS_RETENTION:-30d}"
    assert interpolate(retention) == "30d"  # the budgets' window is 28 days
    history_doc = (REPO / "docs" / "history.md").read_text()
    assert "PROMETHEUS_RETENTION=400d" in history_doc and "--profile history" in history_doc


def test_the_backfill_writes_into_the_volume_prometheus_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    prom, backfill = services["prometheus"], services[HISTORY]
    tsdb = flag(as_list(prom["command"]), "--storage.tsdb.path")
    data = flag(as_list(backfill["command"]), "--data")
    prom_volume = {s for kind, s, t in mounts(prom) if kind == "volume" and t == tsdb}
    backfill_volume = {s for kind, s, t in mounts(backfill) if kind == "volume" and t == data}
    assert prom_volume and backfill_volume == prom_volume
    # the blocks go to Prometheus's user, which compacts and deletes them later
    assert flag(as_list(backfill["command"]), "--owner") == PROMETHEUS_USER
    assert backfill["user"] == "0:0"


def test_the_backfill_reads_the_users_file_and_the_rules_prometheus_loads(
    services: dict[str, dict[str, Any]],
) -> None:
    backfill = services[HISTORY]
    command = as_list(backfill["command"])
    raw = next(
        entry
        for entry in raw_services()[HISTORY]["volumes"]
        if isinstance(entry, dict) and entry["target"] == command[0]
    )
    assert raw["source"] == "${SERVICEPULSE_HISTORY:-./history.jsonl}"
    assert raw["type"] == "bind" and raw["read_only"] is True
    # a missing file is an error, not an empty directory made in its place
    assert raw["bind"]["create_host_path"] is False
    rules = container_file(backfill, flag(command, "--rules"))
    assert rules == REPO / "deploy" / "prometheus" / "rules" / "recording.yml"
    _, prom_config = _container_config(
        services["prometheus"], "--config.file", "/etc/prometheus/prometheus.yml"
    )
    loaded = {
        container_file(services["prometheus"], f"/etc/prometheus/{rule_file}")
        for rule_file in yaml.safe_load(prom_config.read_text())["rule_files"]
    }
    assert rules in loaded, "the backfilled rules are the ones Prometheus evaluates live"


def test_the_backfill_command_parses_with_its_script(services: dict[str, dict[str, Any]]) -> None:
    backfill = services[HISTORY]
    args = load_history_script(backfill).build_parser().parse_args(as_list(backfill["command"]))
    assert args.file == "/history/history.jsonl" and args.data == "/prometheus"
    assert args.step == 60.0 and args.owner == (65534, 65534) and args.policy is None


def test_the_backfill_uses_the_workers_policy(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SERVICEPULSE_POLICY under x-app.environment reaches the workers and the backfill."""
    backfill = services[HISTORY]
    assert env_of(backfill) == env_of(services["topic-init"])  # both x-app's environment
    monkeypatch.setenv("SERVICEPULSE_POLICY", "/etc/servicepulse/policy.yml")
    args = load_history_script(backfill).build_parser().parse_args(as_list(backfill["command"]))
    assert args.policy == "/etc/servicepulse/policy.yml"


def test_the_backfill_image_is_the_app_with_the_compose_prometheus_tools(
    services: dict[str, dict[str, Any]],
) -> None:
    backfill = services[HISTORY]
    assert backfill["build"]["target"] == "history"
    assert backfill["build"]["dockerfile"] == services["worker-1"]["build"]["dockerfile"]
    stages = dockerfile_stages()
    assert stages["history"] == stages["app"] == "python:3.11-slim"
    assert stages["prometheus"] == services["prometheus"]["image"], "one Prometheus version"
    steps = dockerfile_instructions()
    start = next(i for i, (w, a) in enumerate(steps) if w == "FROM" and a.endswith("AS history"))
    end = next(i for i, (w, _) in enumerate(steps) if w == "FROM" and i > start)
    copies = [a.split() for w, a in steps[start:end] if w == "COPY"]
    assert copies == [["--from=prometheus", "/bin/promtool", "/bin/prometheus", "/usr/local/bin/"]]


@pytest.mark.prometheus
@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed")
def test_load_history_backfills_once_and_hands_the_blocks_to_prometheus(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Run on a data directory that is a filesystem of its own where the test may mount
    one (root), as Prometheus's volume is in the container."""
    with own_filesystem(tmp_path / "prometheus"):
        load_history_twice(services, tmp_path)


def load_history_twice(services: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    import hashlib

    import orjson

    from streams.simulator import ContactCentre, SimConfig

    start = 1_793_577_600.0  # 2026-11-02 00:00 UTC
    history = tmp_path / "history.jsonl"
    events = list(ContactCentre(SimConfig(seed=3, arrivals_per_hour=20), start).events(
        until=start + 86400
    ))  # fmt: skip
    history.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    rules = tmp_path / "rules.yml"  # a rule, and a rule reading it (the second pass)
    rules.write_text(
        "groups:\n  - name: t\n    rules:\n"
        "      - record: team:created:sum\n"
        "        expr: sum by (team) (servicepulse_tickets_created_total)\n"
        "      - record: all:created:sum\n"
        "        expr: sum(team:created:sum)\n"
    )
    data = tmp_path / "prometheus"
    (data / "wal").mkdir()  # Prometheus's own entries are left alone
    script = container_file(services[HISTORY], as_list(services[HISTORY]["entrypoint"])[1])
    command = [sys.executable, str(script), str(history), "--data", str(data), "--step", "1h"]
    command += ["--owner", "4242:4343", "--rules", str(rules)]

    first = subprocess.run(command, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    blocks = sorted(p for p in data.iterdir() if (p / "meta.json").is_file())
    # raw and rule blocks at the top of DATA, where Prometheus opens blocks; nothing else
    # left behind, inside DATA or beside it (the work files stay on DATA's filesystem)
    assert sorted(p.name for p in data.iterdir()) == sorted(
        [*(b.name for b in blocks), "wal", "servicepulse-history.json"]
    )
    beside = sorted(p.name for p in tmp_path.iterdir())
    assert beside == ["history.jsonl", "prometheus", "rules.yml"]
    names = b"".join((b / "index").read_bytes() for b in blocks)  # the index keeps the names
    for metric in (b"servicepulse_tickets_created_total", b"team:created:sum", b"all:created:sum"):
        assert metric in names, metric
    span = [json.loads((b / "meta.json").read_text()) for b in blocks]
    first_ts = min(parse_event_ts(e) for e in events)
    assert min(m["minTime"] for m in span) <= (first_ts // 3600 + 1) * 3600 * 1000
    assert max(m["maxTime"] for m in span) >= (start + 86400 - 3600) * 1000
    if os.geteuid() == 0:  # handed over to the owner given, Prometheus's own dirs untouched
        for path in [data, *blocks, *(f for b in blocks for f in b.rglob("*"))]:
            assert (path.stat().st_uid, path.stat().st_gid) == (4242, 4343), path
        assert (data / "wal").stat().st_uid == 0
    marker = json.loads((data / "servicepulse-history.json").read_text())
    assert marker["sha256"] == hashlib.sha256(history.read_bytes()).hexdigest()

    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "already loaded" in again.stderr
    assert sorted(p for p in data.iterdir() if (p / "meta.json").is_file()) == blocks

    missing = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "nope.jsonl"), "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"history: no history at {tmp_path / 'nope.jsonl'} "
        "(set SERVICEPULSE_HISTORY to a JSONL file)"
    ]


@pytest.mark.prometheus
@pytest.mark.skipif(
    not (shutil.which("promtool") and shutil.which("prometheus") and shutil.which("setpriv")),
    reason="needs promtool, prometheus and setpriv",
)
@pytest.mark.skipif(os.geteuid() != 0, reason="hands blocks to another user: needs root")
def test_prometheus_as_nobody_serves_and_compacts_what_the_backfill_service_wrote(
    services: dict[str, dict[str, Any]],
) -> None:
    """The compose flow without Docker: the backfill service's command (its rules file, its
    owner) on a volume-like filesystem, then Prometheus as prom/prometheus's user on it."""
    import tempfile
    import time
    import urllib.parse
    import urllib.request

    import orjson

    from streams.simulator import ContactCentre, SimConfig

    backfill = services[HISTORY]
    command = as_list(backfill["command"])
    rules = container_file(backfill, flag(command, "--rules"))
    script = container_file(backfill, as_list(backfill["entrypoint"])[1])
    start = 1_793_577_600.0  # 2026-11-02 00:00 UTC
    events = list(ContactCentre(SimConfig(seed=5, arrivals_per_hour=30), start).events(
        until=start + 86400 - 1
    ))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:  # under /tmp, which nobody may traverse
        base = Path(tmp)
        base.chmod(0o755)
        history = base / "history.jsonl"
        history.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
        (base / "prometheus.yml").write_text("global: {}\n")
        data = base / "prometheus"
        with own_filesystem(data):
            done = subprocess.run(
                [sys.executable, str(script), str(history), "--data", str(data), "--step", "1h",
                 "--rules", str(rules), "--owner", flag(command, "--owner")],
                capture_output=True, text=True, check=False, timeout=600,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            blocks = {p.name for p in data.iterdir() if (p / "meta.json").is_file()}
            port = free_port()
            uid, gid = flag(command, "--owner").split(":")
            log = base / "prometheus.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                     "prometheus", f"--config.file={base / 'prometheus.yml'}",
                     f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=400d",
                     f"--web.listen-address=127.0.0.1:{port}"],
                    stdout=out, stderr=out,
                )  # fmt: skip
            try:
                end = start + 86400

                def ask(expr: str) -> dict[str, float]:
                    query = urllib.parse.urlencode({"query": expr, "time": str(end)})
                    url = f"http://127.0.0.1:{port}/api/v1/query?{query}"
                    with urllib.request.urlopen(url, timeout=10) as r:
                        result = json.load(r)["data"]["result"]
                    return {i["metric"].get("team", ""): float(i["value"][1]) for i in result}

                deadline = time.monotonic() + 60
                created: dict[str, float] = {}
                while not created and time.monotonic() < deadline:
                    try:
                        created = ask("sum by (team) (servicepulse_tickets_created_total)")
                    except OSError:
                        time.sleep(0.5)
                expected: dict[str, float] = {}
                for e in events:
                    if e["type"] == "ticket.created":
                        expected[e["team"]] = expected.get(e["team"], 0.0) + 1
                assert created == expected
                # a recording rule's series, backfilled: the rule's value at that instant
                assert ask("team:servicepulse_open_tickets:sum") == ask(
                    "sum by (team) (servicepulse_open_tickets)"
                )
                # Prometheus (not root) merges the overlapping raw and rule blocks: it may
                # write and delete what the backfill handed over
                deadline = time.monotonic() + 150
                while time.monotonic() < deadline:
                    now = {p.name for p in data.iterdir() if (p / "meta.json").is_file()}
                    if not now & blocks:
                        break
                    time.sleep(2)
                assert not now & blocks, "the handed-over blocks were never compacted"
                assert "permission denied" not in log.read_text().lower()
            finally:
                proc.terminate()
                proc.wait(timeout=30)


def parse_event_ts(event: dict[str, Any]) -> float:
    from streams.core.events import parse_ts

    return parse_ts(event["ts"])


# ---- the Dockerfile -------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    result = []
    for line in lines:
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def _pattern_regex(pattern: str) -> str:
    """A .dockerignore pattern (Go filepath.Match plus ``**``) as a regular expression."""
    out = []
    for i, part in enumerate(pattern.strip("/").split("/")):
        sep = "" if i == 0 else "/"
        if part == "**":
            out.append("(/.*)?" if i else "(.*/)?")
            continue
        body = "".join(
            "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in part
        )
        out.append(body if out and out[-1] == "(.*/)?" else sep + body)
    return "".join(out)


def dockerignore_allows(path: str) -> bool:
    """Docker's rules: patterns in order, the last match wins, ``!`` re-includes; a path is
    excluded with any folder above it."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern[1:] if negate else pattern)
        if negate:
            if re.fullmatch(regex, path) or any(re.fullmatch(regex, prefix) for prefix in prefixes):
                excluded = False
        elif any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = True
    return not excluded


def dockerfile_stages() -> dict[str, str]:
    """Each stage's name (the last one: ``""``) -> the image it is built on, through aliases."""
    stages: dict[str, str] = {}
    for word, args in dockerfile_instructions():
        if word != "FROM":
            continue
        parts = args.split()
        base = stages.get(parts[0], parts[0])
        stages[parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else ""] = base
    return stages


def test_dockerfile_is_slim_layered_and_non_root() -> None:
    steps = dockerfile_instructions()
    assert dockerfile_stages()[""] == "python:3.11-slim", "the default target is the app image"
    copies = [(i, args) for i, (word, args) in enumerate(steps) if word == "COPY"]
    index = {args.split()[0]: i for i, args in copies}
    dep_install = next(
        i for i, (word, args) in enumerate(steps) if word == "RUN" and "requirements" in args
    )
    assert index["pyproject.toml"] < dep_install < index["streams"], (
        "dependencies must be installed from pyproject.toml before the source is copied"
    )
    source_install = next(
        i for i, (word, args) in enumerate(steps) if word == "RUN" and "--no-deps" in args
    )
    assert source_install > index["streams"] and source_install > index["dashboards"]
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    user_at = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert all(word != "RUN" for word, _ in steps[user_at:]), "RUN as root after USER"
    assert any(word == "ENTRYPOINT" for word, _ in steps[user_at:])


def test_dockerfile_copies_only_allowed_files() -> None:
    for word, args in dockerfile_instructions():
        if word != "COPY" or "--from" in args:
            continue
        sources = [a for a in args.split()[:-1] if not a.startswith("--")]
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repo"
            assert dockerignore_allows(source), f"COPY {source}: excluded by .dockerignore"
            if (REPO / source).is_dir():
                assert any(
                    dockerignore_allows(str(p.relative_to(REPO)))
                    for p in (REPO / source).rglob("*.py")
                ), f"COPY {source}: every file of it excluded"
    assert not dockerignore_allows("var/kafka/data")
    assert not dockerignore_allows("deploy/kafka/dist/lib/kafka.jar")
    assert not dockerignore_allows(".git/HEAD")
    assert not dockerignore_allows("streams/__pycache__/cli.cpython-311.pyc")
    assert dockerignore_allows("streams/cli.py")


def test_dockerfile_dependency_step_reads_pyproject(tmp_path: Path) -> None:
    """Run the Dockerfile's requirements extraction here: it yields pyproject's dependencies."""
    run = next(
        args for word, args in dockerfile_instructions() if word == "RUN" and "tomllib" in args
    )
    snippet = re.search(r'python -c "(.*?)" > /tmp/requirements.txt', run)
    assert snippet, run
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    done = subprocess.run(
        [sys.executable, "-c", snippet.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["rocksdb"]
    assert done.stdout.split() == wanted


def _installed_closure(requirements: list[str]) -> set[str]:
    """Normalised names of the distributions ``requirements`` pull in (as installed here)."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    todo = [Requirement(r) for r in requirements]
    closure: set[str] = set()
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in closure:
            continue
        closure.add(name)
        try:
            subs = md.requires(req.name) or []
        except md.PackageNotFoundError:
            continue
        for sub in subs:
            child = Requirement(sub)
            if child.marker and ("extra" in str(child.marker) or not child.marker.evaluate()):
                continue
            todo.append(child)
    return closure


def test_image_dependencies_cover_every_import() -> None:
    """The image installs pyproject's dependencies (+ rocksdb) only: every third-party
    module that streams/ or dashboards/ imports must come with them, or the `servicepulse`
    command fails in the container (cli.py imports every sub-command's module). An import
    inside ``try: ... except ImportError`` is an optional extra (e.g. uvloop: the worker
    says in one line how to install it) and may be missing."""
    import ast
    import importlib.metadata as md
    import tomllib

    def optional(tree: ast.AST) -> set[int]:
        """ids of the import nodes guarded by an ``except ImportError``."""
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers
            ):
                for statement in node.body:
                    guarded |= {id(n) for n in ast.walk(statement)}
        return guarded

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    closure = _installed_closure(
        project["dependencies"] + project["optional-dependencies"]["rocksdb"]
    )
    providers = md.packages_distributions()
    missing = set()
    for path in [*(REPO / "streams").rglob("*.py"), *(REPO / "dashboards").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        guarded = optional(tree)
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("streams", "dashboards"):
                    continue
                dists = providers.get(top)
                if dists is None:
                    continue  # not installed here: other tests fail louder
                if not any(re.sub(r"[-_.]+", "-", d).lower() in closure for d in dists):
                    missing.add(f"{top} ({', '.join(dists)}; {path.relative_to(REPO)})")
    assert not missing, f"imported but not in pyproject.toml's dependencies: {sorted(missing)}"


# ---- the documentation ----------------------------------------------------------------------


def test_deployment_doc_lists_every_setting() -> None:
    doc = DEPLOYMENT_DOC.read_text()
    options = [option for option, _ in declared_settings(Settings).values()]
    missing = [o.env for o in options if o.env not in doc]
    missing += [o.flag for o in options if o.flag not in doc]
    assert not missing, f"{DEPLOYMENT_DOC} lacks {missing}"
    for flag in ("--workers", "--rate", "--scenario", "--dir", "--default-ports", "--fresh"):
        assert flag in doc, f"`stack up {flag}` not documented"
    assert "```mermaid" in doc


def test_env_var_in_compose_is_a_known_setting(services: dict[str, dict[str, Any]]) -> None:
    known = {option.env for option, _ in declared_settings(Settings).values()}
    for name, svc in app_services(services).items():
        for key in env_of(svc):
            if key.startswith("SERVICEPULSE_"):
                assert key in known, f"{name}: {key} is not a setting of streams/kafka/settings.py"
