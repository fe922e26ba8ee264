#!/usr/bin/env bash
# Build a Grafana server (backend) from source, fetched through the Go module proxy.
#
# No Grafana binary is in Debian's packages and no prebuilt release can be
# downloaded here, but Grafana is a Go module: the proxy serves its source as a
# module zip (only at pseudo-versions: Grafana's vX.Y.Z tags are not valid Go
# module versions). This script downloads that zip, generates the dependency-
# injection code (Google wire; Grafana does not commit pkg/server/wire_gen.go),
# and compiles the `grafana` binary with cgo (sqlite).
#
# The result is cached under var/grafana (gitignored); a second run with the
# same version does nothing and prints the same paths. Output on stdout, last
# two lines:  GRAFANA_BIN=...  GRAFANA_HOME=...   (home = conf/ + public/).
#
# The frontend (public/build) is not built: the HTTP API works without it, the
# web UI shows Grafana's "failed to load its application files" page.
# Run:  $GRAFANA_BIN server --homepath "$GRAFANA_HOME" --config my.ini
#
# Timing on a 2-core machine: ~3 min module downloads, ~15-20 min compile.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Grafana main of 2023-06-09 (the 10.1 development line): the version the
# proxy here serves; its go.mod has only remote replace directives.
VERSION=${GRAFANA_MODULE_VERSION:-v1.9.2-0.20230609164553-81d85ce8028d}
# wire >= v0.7.0: older ones pin a golang.org/x/tools that does not compile with Go >= 1.22
WIRE_VERSION=${WIRE_VERSION:-v0.7.0}
CACHE=${GRAFANA_CACHE:-$ROOT/var/grafana}
HOME_DIR=$CACHE/$VERSION
BIN=$HOME_DIR/bin/grafana

if [[ -x $BIN && -f $HOME_DIR/.built ]]; then
    echo "GRAFANA_BIN=$BIN"
    echo "GRAFANA_HOME=$HOME_DIR"
    exit 0
fi

command -v go >/dev/null || { echo "build-grafana: go is not installed" >&2; exit 1; }
command -v gcc >/dev/null || { echo "build-grafana: gcc is needed (cgo, sqlite)" >&2; exit 1; }

mkdir -p "$CACHE"
echo "build-grafana: downloading github.com/grafana/grafana@$VERSION" >&2
SRC=$(go mod download -json "github.com/grafana/grafana@$VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -d $SRC ]] || { echo "build-grafana: module download failed" >&2; exit 1; }

# a writable copy (the module cache is read-only)
rm -rf "$HOME_DIR.tmp"
cp -r "$SRC" "$HOME_DIR.tmp"
chmod -R u+w "$HOME_DIR.tmp"
cd "$HOME_DIR.tmp"

echo "build-grafana: generating wire code" >&2
GOBIN="$CACHE/tools" go install "github.com/google/wire/cmd/wire@$WIRE_VERSION" >&2
"$CACHE/tools/wire" gen -tags oss ./pkg/server >&2

echo "build-grafana: compiling (this takes a while)" >&2
# -checklinkname=0: Grafana's pkg/web uses a go:linkname that Go >= 1.23 refuses by default
CGO_ENABLED=1 go build -tags oss -trimpath \
    -ldflags "-checklinkname=0 -X main.version=10.1.0-pre -X main.commit=${VERSION##*-}" \
    -o bin/grafana ./pkg/cmd/grafana >&2

touch .built
cd "$CACHE"
rm -rf "$HOME_DIR"
mv "$HOME_DIR.tmp" "$HOME_DIR"
echo "GRAFANA_BIN=$BIN"
echo "GRAFANA_HOME=$HOME_DIR"
