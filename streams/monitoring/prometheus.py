"""The one Prometheus-config builder: checked-in files, the stack, the tests, the screenshots.

``prometheus_config`` builds the document; ``render`` writes it as commented YAML
(deploy/prometheus/prometheus.yml and prometheus.compose.yml are its output, written by
``servicepulse generate``); ``fast_rule_files`` copies the project's rule files with every
group evaluated each second (for runs of a minute); ``local_config`` is the stack's and
``demo_config`` the one of the tests that scrape ``servicepulse demo``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

# The rule files shipped inside the package (package data, written by `servicepulse generate`
# with deploy/prometheus/rules): an installed package has them without a checkout.
RULES_DIR = Path(__file__).resolve().with_name("rule_files")
RULE_FILES = ("rules/recording.yml", "rules/alerts.yml")  # relative to the config file
WORKER_JOB = "servicepulse-worker"  # the job the alerts and recording rules expect
DEMO_JOB = "servicepulse-demo"

# 15 s: the SLA gauges (at risk, breached, unanswered) move with every event; a finer scrape
# only costs storage, a coarser one delays alerts.
SCRAPE_INTERVAL = "15s"
SCRAPE_TIMEOUT = "10s"  # below the interval
# Alert and live (5m/1h) recording rules; the 1d/7d groups set their own slower interval.
EVALUATION_INTERVAL = "15s"
EXTERNAL_LABELS = {"system": "servicepulse"}  # tells ServicePulse's series apart when federated


@dataclass(frozen=True)
class Job:
    """One scrape job: static target groups, each ``(targets, labels)``."""

    name: str
    groups: Sequence[tuple[Sequence[str], Mapping[str, str]]]
    comment: str = ""  # rendered above the job in the YAML file

    @classmethod
    def of(cls, name: str, *targets: str, comment: str = "", **labels: str) -> Job:
        return cls(name, [(list(targets), labels)], comment)

    def as_dict(self) -> dict[str, Any]:
        groups = []
        for targets, labels in self.groups:
            group: dict[str, Any] = {"targets": list(targets)}
            if labels:
                group["labels"] = dict(labels)
            groups.append(group)
        return {"job_name": self.name, "static_configs": groups}


@dataclass(frozen=True)
class Settings:
    scrape_interval: str = SCRAPE_INTERVAL
    scrape_timeout: str | None = SCRAPE_TIMEOUT
    evaluation_interval: str = EVALUATION_INTERVAL
    external_labels: Mapping[str, str] = field(default_factory=lambda: dict(EXTERNAL_LABELS))


def prometheus_config(
    jobs: Iterable[Job],
    rule_files: Sequence[str] = RULE_FILES,
    alertmanagers: Sequence[str] = (),
    settings: Settings = Settings(),
) -> dict[str, Any]:
    """The configuration document (a dict ready for YAML or JSON)."""
    glob: dict[str, Any] = {"scrape_interval": settings.scrape_interval}
    if settings.scrape_timeout:
        glob["scrape_timeout"] = settings.scrape_timeout
    glob["evaluation_interval"] = settings.evaluation_interval
    if settings.external_labels:
        glob["external_labels"] = dict(settings.external_labels)
    config: dict[str, Any] = {"global": glob, "rule_files": list(rule_files)}
    if alertmanagers:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]
        }
    config["scrape_configs"] = [job.as_dict() for job in jobs]
    return config


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key (the style of the Prometheus docs)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def render(config: Mapping[str, Any], header: str, jobs: Iterable[Job] = ()) -> str:
    """Commented YAML: ``header`` on top, each job's comment above it."""
    text = yaml.dump(dict(config), Dumper=_Dumper, sort_keys=False, width=100)
    for job in jobs:
        if job.comment:
            comment = "".join(
                f"  # {line}\n" if line else "  #\n" for line in job.comment.splitlines()
            )
            line = f"  - job_name: {job.name}\n"
            text = text.replace(line, comment + line, 1)
    text = re.sub(r"(?m)^(\w+:)", r"\n\1", text).lstrip("\n")  # a blank line between sections
    return header + "\n" + text


def fast_rule_files(
    directory: Path, interval: str = "1s", rules_dir: Path = RULES_DIR
) -> list[str]:
    """Copies of the project's rule files in ``directory``, every group evaluated each ``interval``.

    The files say 1m/2m for the 1d/7d groups: far too slow for a run of a minute.
    """
    out = []
    for src in sorted(rules_dir.glob("*.yml")):
        dst = directory / src.name
        dst.write_text(
            re.sub(r"(?m)^(\s+)interval: \S+$", rf"\g<1>interval: {interval}", src.read_text())
        )
        out.append(str(dst))
    return out


def demo_config(
    demo_port: int, alertmanager_port: int | None, rule_files: Sequence[str], interval: str = "1s"
) -> dict[str, Any]:
    """Prometheus scraping one ``servicepulse demo`` each ``interval`` (tests, screenshots)."""
    return prometheus_config(
        [Job.of(DEMO_JOB, f"127.0.0.1:{demo_port}")],
        rule_files,
        [f"127.0.0.1:{alertmanager_port}"] if alertmanager_port else (),
        Settings(interval, None, interval, {}),
    )


def local_config(
    workers: Mapping[str, int],
    prometheus_port: int,
    alertmanager_port: int | None,
    scrape_interval: str | None = None,
    evaluation_interval: str | None = None,
    rules_dir: Path = RULES_DIR,
) -> dict[str, Any]:
    """The stack's Prometheus: every worker (name -> /metrics port), itself, its Alertmanager.

    The globals of deploy/prometheus/prometheus.yml; rule file paths absolute (the rule
    files shipped in the package unless ``rules_dir`` says otherwise).
    """
    settings = Settings()
    if scrape_interval:
        settings = Settings(scrape_interval, scrape_interval, settings.evaluation_interval)
    if evaluation_interval:
        settings = Settings(settings.scrape_interval, settings.scrape_timeout, evaluation_interval)
    jobs = [
        Job(
            WORKER_JOB,
            [
                ([f"127.0.0.1:{port}"], {"component": "worker", "worker": name})
                for name, port in workers.items()
            ],
        ),
        Job.of("prometheus", f"127.0.0.1:{prometheus_port}"),
    ]
    if alertmanager_port:
        jobs.append(Job.of("alertmanager", f"127.0.0.1:{alertmanager_port}"))
    rule_files = [str(rules_dir.resolve() / PurePosixPath(rf).name) for rf in RULE_FILES]
    return prometheus_config(
        jobs, rule_files, [f"127.0.0.1:{alertmanager_port}"] if alertmanager_port else (), settings
    )


# ---- the checked-in files -------------------------------------------------------------------

LOCAL_HEADER = """\
# Prometheus for ServicePulse.
#
# GENERATED by `servicepulse generate` (streams/monitoring/prometheus.py) — do not
# edit by hand; `servicepulse generate --check` fails when it drifts.
#
#   prometheus --config.file=deploy/prometheus/prometheus.yml
#
# Paths of rule files are relative to this file. Check with
#   promtool check config deploy/prometheus/prometheus.yml
# scrape_interval 15s: the SLA gauges move with every event; a finer scrape only
# costs storage, a coarser one delays alerts. evaluation_interval 15s: alerts and
# the live (5m/1h) recording rules; the 1d/7d groups set their own slower interval.
"""

COMPOSE_HEADER = """\
# Prometheus for the docker-compose stack (docker-compose.yml at the repo root).
#
# GENERATED by `servicepulse generate` (streams/monitoring/prometheus.py) — do not
# edit by hand. The same rules, intervals and job names as prometheus.yml beside
# this file; only the targets differ: the compose services by name. Mounted at
# /etc/prometheus/prometheus.yml, with rules/ at /etc/prometheus/rules.
# tests/test_compose.py checks that it scrapes every worker service of
# docker-compose.yml.
"""

LOCAL_JOBS = (
    Job.of(
        WORKER_JOB,
        "127.0.0.1:9109",
        component="worker",
        comment="The Faust workers (`servicepulse worker`), one target per worker process;\n"
        "each exposes the metrics of the partitions it owns, the recording rules\n"
        "sum over them. Add a line per worker, or replace static_configs by\n"
        "file_sd_configs / your service discovery. The alert ServicePulseWorkerDown\n"
        "watches this job.",
    ),
    Job.of(
        DEMO_JOB,
        "127.0.0.1:9108",
        component="demo",
        comment="The embedded demo (`servicepulse demo --port 9108`): a simulated contact\n"
        "centre in-process. Remove this job where the demo does not run.",
    ),
    Job.of("prometheus", "127.0.0.1:9090"),
    Job.of("alertmanager", "127.0.0.1:9093"),
)

COMPOSE_JOBS = (
    Job.of(
        WORKER_JOB,
        "worker-1:9109",
        "worker-2:9109",
        component="worker",
        comment="One target per worker container (each serves the metrics of the\n"
        "partitions it owns; the recording rules sum over them). A new worker\n"
        "service in docker-compose.yml needs its line here.",
    ),
    Job.of("prometheus", "localhost:9090"),
    Job.of("alertmanager", "alertmanager:9093"),
)


def checked_in() -> dict[PurePosixPath, str]:
    """deploy/prometheus/prometheus.yml and prometheus.compose.yml: path in a checkout -> text."""
    base = PurePosixPath("deploy/prometheus")
    local = prometheus_config(LOCAL_JOBS, alertmanagers=["127.0.0.1:9093"])
    compose = prometheus_config(COMPOSE_JOBS, alertmanagers=["alertmanager:9093"])
    return {
        base / "prometheus.yml": render(local, LOCAL_HEADER, LOCAL_JOBS),
        base / "prometheus.compose.yml": render(compose, COMPOSE_HEADER, COMPOSE_JOBS),
    }
