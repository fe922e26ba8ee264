#!/usr/bin/env bash
# Local single-node Apache Kafka 4.x broker (KRaft, combined broker+controller)
# on loopback, built from Maven Central jars only (see README.md beside this).
#
#   deploy/kafka/kafka.sh fetch    resolve the jars into deploy/kafka/dist/lib (idempotent)
#   deploy/kafka/kafka.sh start    format storage if new, start, wait until it answers
#   deploy/kafka/kafka.sh stop     SIGTERM, then SIGKILL after $KAFKA_STOP_TIMEOUT s
#   deploy/kafka/kafka.sh status   exit 0 if running (and answering), 1 if not
#
# Environment (all optional):
#   KAFKA_PORT=9092                client listener, 127.0.0.1 only
#   KAFKA_CONTROLLER_PORT=PORT+1   KRaft controller listener, 127.0.0.1 only
#   KAFKA_STATE_DIR=<repo>/var/kafka   data/, logs/, server.properties, kafka.pid
#   KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"
#   KAFKA_START_TIMEOUT=60         seconds to wait for the broker to answer
#   KAFKA_STOP_TIMEOUT=30          seconds between SIGTERM and SIGKILL
#   KAFKA_AUTO_CREATE_TOPICS=true  auto.create.topics.enable
#   KAFKA_NUM_PARTITIONS=4         num.partitions for auto-created topics
#   KAFKA_LOG_LEVEL=INFO           root level of logs/server.log
#   KAFKA_VERSION=4.3.1            Kafka version fetched (changing it re-fetches)
#   KAFKA_MAVEN_REPO=deploy/kafka/dist/m2   private Maven local repository
#   JAVA_HOME / java on PATH       Java 17+
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
DIST="$HERE/dist"
LIB="$DIST/lib"
STAMP="$LIB/.fetched-kafka-$KAFKA_VERSION"
KAFKA_MAVEN_REPO="${KAFKA_MAVEN_REPO:-$DIST/m2}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$REPO_ROOT/var/kafka}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-true}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-4}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"

PID_FILE="$KAFKA_STATE_DIR/kafka.pid"
DATA_DIR="$KAFKA_STATE_DIR/data"
LOG_DIR="$KAFKA_STATE_DIR/logs"
PROPS="$KAFKA_STATE_DIR/server.properties"
OUT="$LOG_DIR/kafkaServer.out"

say() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "java not found (install Java 17+, e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
  fi
}

# ---------------------------------------------------------------- fetch
cmd_fetch() {
  if [[ -f "$STAMP" ]]; then
    say "kafka $KAFKA_VERSION jars already in $LIB ($(ls "$LIB"/*.jar | wc -l) jars); nothing to fetch"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven)"
  say "fetching Apache Kafka $KAFKA_VERSION (kafka_2.13 + log4j2) from Maven Central into $LIB ..."
  say "maven local repository: $KAFKA_MAVEN_REPO"
  local t0=$SECONDS log="$DIST/fetch.log" p
  # Replacing the jars under a running broker would break it: refuse.
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$LIB/* kafka.Kafka"; then
      die "a broker using $LIB is running (pid ${p#/proc/}); stop it before re-fetching"
    fi
  done
  mkdir -p "$DIST"
  rm -rf "$LIB"
  if ! mvn -B --no-transfer-progress -f "$HERE/pom.xml" \
      -Dmaven.repo.local="$KAFKA_MAVEN_REPO" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "mvn failed (full log: $log)"
  fi
  [[ -f "$LIB/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn (see $log)"
  touch "$STAMP"
  say "fetched $(ls "$LIB"/*.jar | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0)) s"
}

ensure_fetched() { [[ -f "$STAMP" ]] || cmd_fetch; }

# ---------------------------------------------------------------- helpers
# Alive and not a zombie (a zombie whose parent never reaps it holds no port).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != Z && "$state" != X ]]
}

# PID from the pid file if that process is alive and is our broker.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  # Guard against PID reuse: the command line must be our kafka.Kafka.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "kafka.Kafka $PROPS" || return 1
  echo "$pid"
}

# Same as `kafka-storage random-uuid` (org.apache.kafka.common.Uuid.randomUuid):
# 16 random bytes, URL-safe base64 without padding, never starting with '-'.
# Done in bash to save a JVM start; falls back to the Java tool.
random_uuid() {
  local id i
  for i in 1 2 3 4 5 6 7 8; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" || break
    if [[ ${#id} -eq 22 && "$id" != -* && "$id" != AAAAAAAAAAAAAAAAAAAAA* ]]; then
      echo "$id"; return 0
    fi
  done
  "$(java_bin)" -Xmx128m -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_props() {
  cat >"$PROPS" <<EOF
# Generated by deploy/kafka/kafka.sh on each start; edits are overwritten.
# Single node, KRaft, combined broker+controller, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

# One broker: every internal topic has replication factor 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Consumer groups start at once (no 3 s wait for more members).
group.initial.rebalance.delay.ms=0

# Topics: auto-creation on (Kafka's default) so producers/Faust never block on
# a missing topic; tests create their topics explicitly anyway.
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
num.partitions=$KAFKA_NUM_PARTITIONS
delete.topic.enable=true

# Small machine, dev data: modest threads, short retention.
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
EOF
}

# ---------------------------------------------------------------- start
cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT, state $KAFKA_STATE_DIR"
    return 0
  fi
  ensure_fetched
  local java; java="$(java_bin)"
  if port_open "$KAFKA_PORT"; then
    die "127.0.0.1:$KAFKA_PORT is already in use by another process (set KAFKA_PORT)"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "127.0.0.1:$KAFKA_CONTROLLER_PORT (controller) is already in use (set KAFKA_CONTROLLER_PORT)"
  fi
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  rm -f "$PID_FILE"
  # Keep one previous run's logs; a fresh server.log also means the
  # "Kafka Server started" line waited for below is this run's.
  local f
  for f in server.log controller.log kafkaServer.out; do
    if [[ -f "$LOG_DIR/$f" ]]; then mv -f "$LOG_DIR/$f" "$LOG_DIR/$f.prev"; fi
  done
  write_props

  local cp="$LIB/*"
  local log_opts=(-Dlog4j2.configurationFile="$HERE/log4j2.xml" -Dkafka.logs.dir="$LOG_DIR"
                  -Dkafka.log.level="$KAFKA_LOG_LEVEL")

  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(random_uuid)"
    say "formatting KRaft storage $DATA_DIR (cluster id $cluster_id) ..."
    if ! "$java" -Xmx256m "${log_opts[@]}" -cp "$cp" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$PROPS" >>"$OUT" 2>&1; then
      tail -n 20 "$OUT" >&2
      die "kafka-storage format failed (see $OUT)"
    fi
  fi

  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT), state $KAFKA_STATE_DIR ..."
  local t0=$SECONDS
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of options
  setsid nohup "$java" $KAFKA_HEAP_OPTS \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "${log_opts[@]}" -cp "$cp" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) last=-1
  while :; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      say "broker exited during startup; last lines of $LOG_DIR:" >&2
      tail -n 25 "$LOG_DIR/server.log" "$OUT" >&2 2>/dev/null || true
      die "Kafka did not start"
    fi
    if grep -q "Kafka Server started" "$LOG_DIR/server.log" 2>/dev/null && port_open "$KAFKA_PORT"; then
      break
    fi
    if (( SECONDS >= deadline )); then
      say "no answer after ${KAFKA_START_TIMEOUT}s; last lines of $LOG_DIR/server.log:" >&2
      tail -n 25 "$LOG_DIR/server.log" >&2 2>/dev/null || true
      cmd_stop >&2 || true
      die "Kafka did not start within ${KAFKA_START_TIMEOUT}s"
    fi
    if (( (SECONDS - t0) / 5 != last )); then
      last=$(((SECONDS - t0) / 5))
      (( last > 0 )) && say "  ... waiting for the broker ($((SECONDS - t0)) s)"
    fi
    sleep 0.2
  done
  say "Kafka $KAFKA_VERSION is up: bootstrap 127.0.0.1:$KAFKA_PORT (pid $pid, started in $((SECONDS - t0)) s, logs $LOG_DIR)"
}

# ---------------------------------------------------------------- stop
cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running (state $KAFKA_STATE_DIR)"
    return 0
  fi
  say "stopping Kafka (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
  if alive "$pid"; then
    say "still alive after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

# ---------------------------------------------------------------- status
cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$KAFKA_PORT"; then
      say "running (pid $pid), bootstrap 127.0.0.1:$KAFKA_PORT, state $KAFKA_STATE_DIR"
      return 0
    fi
    say "process $pid is alive but 127.0.0.1:$KAFKA_PORT does not answer"
    return 1
  fi
  say "not running (state $KAFKA_STATE_DIR)"
  return 1
}

case "${1:-}" in
  fetch)  cmd_fetch ;;
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 {fetch|start|stop|status}" >&2; exit 2 ;;
esac
