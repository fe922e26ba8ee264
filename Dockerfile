# syntax=docker/dockerfile:1
# The ServicePulse application image: `servicepulse worker | simulate | topics | replay | demo`.
#
#   docker build -t servicepulse:0.1.0 .
#   docker run --rm servicepulse:0.1.0 --help
#
# and the history image (`--target history`): the same plus promtool and prometheus, which
# `servicepulse backfill` runs (the compose `backfill` service; docs/history.md).
#
#   docker build --target history -t servicepulse-history:0.1.0 .
#
# Layers, from the least to the most often changed, so that editing the source
# rebuilds only the last two steps (seconds) and never re-downloads the
# dependencies: base + user, dependencies (from pyproject.toml only), source.
# Checked statically by tests/test_compose.py (no Docker engine in CI).

# promtool and prometheus for the history image, the same version as compose's Prometheus
FROM prom/prometheus:v3.5.0 AS prometheus

FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A system user without a login shell; its home holds the worker's local
# state (RocksDB tables), a volume in docker-compose.yml.
RUN groupadd --system --gid 10001 servicepulse \
 && useradd --system --uid 10001 --gid servicepulse --no-log-init \
      --home-dir /var/lib/servicepulse --shell /usr/sbin/nologin servicepulse \
 && install -d -o servicepulse -g servicepulse -m 0750 /var/lib/servicepulse

WORKDIR /opt/servicepulse

# 1. Dependencies: only pyproject.toml is copied, so this layer is rebuilt when
#    the dependencies change, not when the code does. The runtime dependencies
#    plus the rocksdb extra (the worker's default table store) are read from
#    pyproject.toml; setuptools/wheel are here so the source layer needs no
#    network (--no-build-isolation).
COPY pyproject.toml ./
RUN --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['rocksdb']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt "setuptools>=68" wheel \
 && rm /tmp/requirements.txt

# 2. The package itself (no dependency resolution: they are all above). streams/ carries the
#    rule files as package data (streams/monitoring/rule_files), so `servicepulse backfill`
#    finds its default rules without deploy/ (tests/integration/test_wheel_backfill.py).
COPY README.md ./
COPY streams ./streams
COPY dashboards ./dashboards
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
 && rm -rf build ./*.egg-info

USER servicepulse:servicepulse
WORKDIR /var/lib/servicepulse
# /metrics stays on 127.0.0.1 unless SERVICEPULSE_METRICS_HOST says otherwise (compose sets
# 0.0.0.0 for its workers, inside its own network only)
ENV SERVICEPULSE_DATA_DIR=/var/lib/servicepulse/worker

# /metrics and /health of the worker (SERVICEPULSE_METRICS_PORT)
EXPOSE 9109

ENTRYPOINT ["servicepulse"]
CMD ["--help"]

# The history image: the application plus Prometheus's static binaries (the workers'
# image stays without them).
FROM app AS history
COPY --from=prometheus /bin/promtool /bin/prometheus /usr/local/bin/

# The default target: the application image, as built above.
FROM app
