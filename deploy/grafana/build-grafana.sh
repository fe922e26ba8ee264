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
# The HTTP API works without the frontend; for the web UI (screenshots) add
# --frontend: Grafana's JavaScript is built from the same source with yarn and
# packages from the npm registry (see build_frontend below for the three
# changes this needs). Run:  $GRAFANA_BIN server --homepath "$GRAFANA_HOME"
#
# Timing on a 2-core machine: backend ~10 min (2-3 min of module downloads);
# frontend, measured at a load of 10-15 under nice 10: yarn install 27 min (24 of
# them fetching ~3,200 npm packages), webpack 25 min.
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

FRONTEND=0
[[ ${1:-} == --frontend ]] && FRONTEND=1

build_frontend() {
    # Grafana's yarn/webpack build, in $HOME_DIR, with three changes:
    #  - xlsx comes from the npm registry (0.18.5) instead of Grafana's pin to a
    #    tarball on the vendor's own CDN, which is not reachable here;
    #  - yarn 3.8.7 (npm: @yarnpkg/cli-dist) instead of the bundled 3.4.1, whose
    #    Plug'n'Play loader fails under Node 20;
    #  - public/vendor/ (a few legacy jQuery plugins: flot, bootstrap 2,
    #    tagsinput) is missing because Go module zips drop every vendor/
    #    directory: empty stand-ins; only the old Angular graph panel uses them,
    #    none of the ServicePulse boards.
    command -v node >/dev/null && command -v npm >/dev/null \
        || { echo "build-grafana: --frontend needs node (>= 18) and npm" >&2; exit 1; }
    cd "$HOME_DIR"
    if [[ ! -f .yarn/releases/yarn-3.8.7.cjs ]]; then
        local tmp; tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent @yarnpkg/cli-dist@3.8.7 >/dev/null && tar xzf ./*.tgz)
        cp "$tmp/package/bin/yarn.js" .yarn/releases/yarn-3.8.7.cjs
        rm -rf "$tmp"
    fi
    sed -i 's#"xlsx": "https://cdn.sheetjs.com/xlsx-0.19.1/xlsx-0.19.1.tgz"#"xlsx": "0.18.5"#;
            s#"packageManager": "yarn@3.4.1"#"packageManager": "yarn@3.8.7"#' package.json
    sed -i 's#yarnPath: .yarn/releases/yarn-3.4.1.cjs#yarnPath: .yarn/releases/yarn-3.8.7.cjs#' .yarnrc.yml
    local f
    mkdir -p public/vendor/flot public/vendor/bootstrap public/vendor/tagsinput
    for f in jquery.flot jquery.flot.crosshair jquery.flot.dashes jquery.flot.fillbelow \
             jquery.flot.gauge jquery.flot.selection jquery.flot.stack jquery.flot.stackpercent \
             jquery.flot.time; do
        echo "// stand-in: not in the Go module zip (only the legacy graph panel uses flot)" \
            > "public/vendor/flot/$f.js"
    done
    # Grafana's boot code touches bootstrap 2's jQuery plugins ($.fn.tooltip.defaults, ...):
    # inert plugins with the same names (bootstrap 2 is not on the npm registry).
    cat > public/vendor/bootstrap/bootstrap.js <<'JS'
// stand-in for bootstrap 2's jQuery plugins: not in the Go module zip
var $ = require('jquery');
['tooltip', 'popover', 'modal', 'typeahead', 'dropdown', 'collapse', 'tab', 'alert', 'button']
  .forEach(function (name) {
    if (!$.fn[name]) {
      var plugin = function () { return this; };
      plugin.defaults = {};
      plugin.Constructor = function () {};
      $.fn[name] = plugin;
    }
  });
JS
    cat > public/vendor/tagsinput/bootstrap-tagsinput.js <<'JS'
// stand-in for bootstrap-tagsinput: not in the Go module zip
var $ = require('jquery');
$.fn.tagsinput = $.fn.tagsinput || function () { return this; };
JS
    echo "build-grafana: yarn install (npm registry)" >&2
    YARN_ENABLE_IMMUTABLE_INSTALLS=false YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_GLOBAL_CACHE=false \
        CYPRESS_INSTALL_BINARY=0 HUSKY=0 node .yarn/releases/yarn-3.8.7.cjs install >&2 \
        || { echo "build-grafana: yarn install failed" >&2; exit 1; }
    echo "build-grafana: webpack (production)" >&2
    # webpack's API directly: `yarn run build` goes through webpack-cli, which
    # cannot load the config under Plug'n'Play here
    cat > sp-build-frontend.js <<'JS'
const webpack = require('webpack');
const config = require('./scripts/webpack/webpack.prod.js')({});
webpack(config, (err, stats) => {
  if (err) { console.error(err); process.exit(1); }
  console.log(stats.toString({ colors: false, all: false, errors: true, timings: true }));
  process.exit(stats.hasErrors() ? 1 : 0);
});
JS
    NODE_ENV=production \
        NODE_OPTIONS="--max-old-space-size=8192 --require $PWD/.pnp.cjs --experimental-loader $PWD/.pnp.loader.mjs" \
        node sp-build-frontend.js >&2 || { echo "build-grafana: webpack failed" >&2; exit 1; }
    touch .frontend-built
}

if [[ -x $BIN && -f $HOME_DIR/.built ]]; then
    if [[ $FRONTEND == 1 && ! -f $HOME_DIR/.frontend-built ]]; then
        build_frontend
    fi
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
[[ $FRONTEND == 1 ]] && build_frontend
echo "GRAFANA_BIN=$BIN"
echo "GRAFANA_HOME=$HOME_DIR"
