"""docker-compose.yml against the Compose Specification, the Dockerfile through a linter.

No Docker engine is needed (CI has none). The compose file is validated by ``compose-spec``
(Python bindings of the Rust ``compose_spec`` crate: a typed parser of the Compose
Specification that rejects unknown keys, bad ports, durations and enum values), after PyYAML
has resolved its anchors and ``<<`` merge keys as Compose does. The Dockerfile is parsed by
``dockerfile-parse`` and checked with a few of hadolint's rules (hadolint itself is a
Haskell binary, on no Python or Debian registry here).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose
from dockerfile_parse import DockerfileParser

from tests.compose_files import interpolate

REPO = Path(__file__).resolve().parents[3]
COMPOSE = REPO / "docker-compose.yml"


def compose() -> dict[str, Any]:
    data = interpolate(yaml.safe_load(COMPOSE.read_text()))
    assert isinstance(data, dict)
    return data


def validate(data: dict[str, Any]) -> PyCompose:
    return PyCompose.from_json(json.dumps(data))


def test_the_compose_file_follows_the_compose_specification() -> None:
    parsed = validate(compose())
    assert set(parsed.service_names()) == set(compose()["services"])


@pytest.mark.parametrize(
    ("mistake", "path", "value"),
    [
        ("a misspelt key", ("services", "kafka", "imagee"), "x"),
        ("a port out of range", ("services", "kafka", "ports"), ["99999:9092"]),
        ("an unknown restart policy", ("services", "kafka", "restart"), "sometimes"),
        ("a duration without digits", ("services", "kafka", "healthcheck", "interval"), "often"),
    ],
)
def test_the_validator_rejects_a_planted_mistake(
    mistake: str, path: tuple[str, ...], value: Any
) -> None:
    data = copy.deepcopy(compose())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValueError):
        validate(data)


def test_dependencies_name_services_that_exist_and_can_satisfy_their_condition() -> None:
    services = compose()["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {other: {"condition": "service_started"} for other in depends}
        for other, spec in depends.items():
            assert other in services, f"{name} depends on unknown service {other}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[other], f"{other} has no healthcheck"


# ---- the Dockerfile ------------------------------------------------------------------------


def dockerfile() -> list[dict[str, Any]]:
    parser = DockerfileParser(path=str(REPO / "Dockerfile"))
    return [step for step in parser.structure if step["instruction"] != "COMMENT"]


def steps(instruction: str) -> list[str]:
    return [step["value"] for step in dockerfile() if step["instruction"] == instruction]


def test_dockerfile_base_images_are_tagged_not_latest() -> None:  # hadolint DL3006, DL3007
    stages: set[str] = set()  # `FROM app` names an earlier stage, not an image
    for image in steps("FROM"):
        words = image.split()
        name = words[0]
        if name not in stages:
            assert ":" in name or "@sha256:" in name, name
            assert not name.endswith(":latest"), name
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])


def test_dockerfile_copies_instead_of_adding() -> None:  # DL3020
    assert steps("ADD") == []


def test_dockerfile_runs_as_a_non_root_user() -> None:  # DL3002
    users = steps("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_entrypoint_and_cmd_are_in_exec_form() -> None:  # DL3025
    for value in steps("ENTRYPOINT") + steps("CMD"):
        assert isinstance(json.loads(value), list), value


def test_dockerfile_workdirs_are_absolute() -> None:  # DL3000
    assert all(value.startswith("/") for value in steps("WORKDIR"))


def test_dockerfile_pip_installs_keep_no_cache_in_the_image() -> None:  # DL3042
    for value in steps("RUN"):
        if "pip install" in value:
            assert "--no-cache-dir" in value or "--mount=type=cache" in value, value


def test_dockerfile_apt_installs_are_lean() -> None:  # DL3009, DL3015
    for value in steps("RUN"):
        if re.search(r"apt-get (-\S+ )*install", value):
            assert "--no-install-recommends" in value, value
            assert "rm -rf /var/lib/apt/lists" in value, value


def test_dockerfile_copy_sources_exist() -> None:
    for value in steps("COPY"):
        if "--from=" in value:  # from another stage or image, not from the build context
            continue
        args = [a for a in value.split() if not a.startswith("--")]
        for source in args[:-1]:
            assert (REPO / source).exists(), source


def test_dockerfile_exposes_the_port_compose_scrapes() -> None:
    exposed = {int(port.split("/")[0]) for value in steps("EXPOSE") for port in value.split()}
    worker = compose()["services"]["worker-1"]
    container_ports = {int(str(p).rsplit(":", 1)[-1]) for p in worker.get("ports", [])}
    assert container_ports and container_ports <= exposed
