# shellcheck shell=bash
# Shared helpers for scripts/{setup,dev,test,bench,deploy}. Source it; do not run it.
#
# It puts the repo root in $REPO_ROOT and makes it the working directory, puts the local tools
# first on PATH, and points worker-build at local wasm-bindgen / wasm-opt / esbuild binaries
# (it would otherwise download them, and this machine has no general internet access).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export PATH="$REPO_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$REPO_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$REPO_ROOT/node_modules/.bin/esbuild"
# Offline machine and CI: no telemetry prompts or uploads, no update checks.
export WRANGLER_SEND_METRICS=false
export NO_UPDATE_NOTIFIER=1

# shellcheck disable=SC2034 # used by the scripts that source this file
# The pinned worker-build; scripts/setup installs exactly this version.
WORKER_BUILD_VERSION="0.8.7"
# shellcheck disable=SC2034
# The pinned schemathesis (the OpenAPI fuzzer of scripts/test); scripts/setup installs it in .venv.
SCHEMATHESIS_VERSION="4.32.5"
# shellcheck disable=SC2034
# D1 database_id used by every local config so all workers share one local database.
# scripts/deploy substitutes the real id into temporary copies of the configs.
LOCAL_D1_ID="00000000-0000-4000-8000-00000000d1d1"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31merror:\033[0m %s\n' "$*" >&2
    exit 1
}

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for_http URL TIMEOUT_SECONDS: polls until URL answers with a status below 500 (a 5xx
# can come from wrangler's proxy while the workers are still loading).
wait_for_http() {
    local url="$1" timeout="${2:-60}" start code
    start=$(date +%s)
    while true; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
        if [[ "$code" =~ ^[1-4][0-9][0-9]$ ]]; then
            return 0
        fi
        if (($(date +%s) - start >= timeout)); then
            warn "$url did not answer within ${timeout}s"
            return 1
        fi
        # Give up early if the stack we started has died.
        if [[ -n "${STACK_PGID:-}" ]] && ! kill -0 "$STACK_PGID" 2>/dev/null; then
            warn "the stack exited before $url answered"
            return 1
        fi
        sleep 0.5
    done
}

# Worker crates, one directory per line: the gateway (its config is the root wrangler.toml) and
# every workers/*/ that has its own wrangler.toml.
worker_dirs() {
    echo "workers/gateway"
    local cfg
    for cfg in workers/*/wrangler.toml; do
        [[ -f "$cfg" ]] && dirname "$cfg"
    done
}

# The wrangler configs of the stack, gateway first (the first config is the one that serves).
# STACK_CONFIGS (space-separated paths) overrides the list, e.g. to run a stand-in worker.
worker_configs() {
    if [[ -n "${STACK_CONFIGS:-}" ]]; then
        # shellcheck disable=SC2086 # a space-separated list on purpose
        printf '%s\n' $STACK_CONFIGS
        return
    fi
    echo "wrangler.toml"
    local cfg
    for cfg in workers/*/wrangler.toml; do
        [[ -f "$cfg" ]] && echo "$cfg"
    done
}

# The gzip budget of every worker's bundle, in KiB (what `wrangler deploy --dry-run` reports;
# Cloudflare's own limit is 3 MiB on the free plan, ours keeps cold starts short).
MAX_GZIP_KIB=300

# bundle_kib CONFIG OUTDIR: the gzip size in KiB of the worker CONFIG describes, as wrangler's
# dry run (offline) reports it; its build output must exist.
bundle_kib() {
    local cfg="$1" out kib
    out=$(wrangler deploy --dry-run --outdir "$2" -c "$cfg" 2>&1) ||
        { echo "$out" >&2; die "dry-run of $cfg failed"; }
    kib=$(sed -n 's/.*Total Upload: .* \/ gzip: \([0-9.]*\) KiB.*/\1/p' <<<"$out" | head -n1)
    [[ -n "$kib" ]] || { echo "$out" >&2; die "no 'gzip: … KiB' in the dry-run output of $cfg"; }
    echo "$kib"
}

# check_bundles: every worker of the stack within MAX_GZIP_KIB (after a release build); prints
# the sizes and fails naming the workers over it.
check_bundles() {
    local cfg name kib over="" dist
    dist=$(mktemp -d "${TMPDIR:-/tmp}/tradepost-dist.XXXXXX")
    for cfg in $(worker_configs); do
        name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$cfg" | head -n1)
        kib=$(bundle_kib "$cfg" "$dist/$name")
        printf '  %-22s %7s KiB gzip\n' "$name" "$kib" >&2
        if node -e 'process.exit(+process.argv[1] <= +process.argv[2] ? 0 : 1)' "$kib" "$MAX_GZIP_KIB"; then
            :
        else
            over+=" $name ($kib KiB)"
        fi
    done
    rm -rf "$dist"
    [[ -z "$over" ]] || die "over the budget of $MAX_GZIP_KIB KiB gzip:$over"
}

# build_worker DIR [--release|--dev]: worker-build in one crate (release unless --dev); the output
# is DIR/build/index.js (worker-build 0.8 also writes DIR/build/worker/shim.mjs, a re-export kept
# for old configs). Skipped when nothing it depends on changed since the last build of the same
# mode: even a no-op worker-build reruns wasm-bindgen and wasm-opt (~50 s for the accounts worker).
# FORCE_BUILD=1 always builds.
build_worker() {
    local dir="$1" mode="--release"
    [[ "${2:-}" == "--dev" ]] && mode="--dev"
    local stamp="$dir/build/.tradepost-built$mode"
    if [[ -z "${FORCE_BUILD:-}" && -f "$stamp" && -f "$dir/build/index.js" ]]; then
        local inputs=("$dir" shared Cargo.toml Cargo.lock node_modules/.package-lock.json
            "$WASM_BINDGEN_BIN" "$(command -v worker-build)")
        [[ -d .cargo ]] && inputs+=(.cargo)
        # The gateway's routing table and OpenAPI document are generated from every worker's
        # route table (workers/gateway/tables), so any worker's source counts for it.
        [[ "$dir" == workers/gateway ]] && inputs+=(workers)
        # Not inputs: build output, the local secrets and state a run writes (.dev.vars,
        # .wrangler), and the portal's static files (under workers/gateway, not in its wasm).
        if [[ -z "$(find "${inputs[@]}" \( -path '*/build' -o -name .dev.vars -o -name .wrangler \
            -o -path workers/gateway/portal \) -prune -o -type f -newer "$stamp" -print -quit)" ]]; then
            say "$dir: up to date (${mode#--} build; FORCE_BUILD=1 rebuilds)"
            return 0
        fi
    fi
    say "worker-build $mode $dir"
    local started
    started=$(mktemp)
    rm -f "$dir"/build/.tradepost-built-*
    (cd "$dir" && worker-build "$mode") || { rm -f "$started"; return 1; }
    [[ -f "$dir/build/index.js" ]] || { rm -f "$started"; die "worker-build did not write $dir/build/index.js"; }
    # The stamp carries the time the build started, so edits made during it count as changes.
    mv "$started" "$stamp"
}

# build_workers [--release|--dev]: builds every worker of the stack (release unless --dev).
build_workers() {
    local dir
    for dir in $(worker_dirs); do
        build_worker "$dir" "${1:---release}"
    done
}

# shellcheck disable=SC2120 # PORT is optional
# write_dev_vars [PORT]: creates the git-ignored root .dev.vars with fresh dev keys if missing,
# sets PUBLIC_URL to http://127.0.0.1:PORT (if given), and copies the file beside every other
# worker config: wrangler reads .dev.vars from the directory of each config file (the root one
# for the gateway, workers/X/.dev.vars for worker X), not from the working directory.
# Wrangler reads these files when a session starts; a running session keeps what it read.
write_dev_vars() {
    local port="${1:-}" file="$REPO_ROOT/.dev.vars"
    if [[ ! -f "$file" ]]; then
        say "generating $file (dev-only keys; git-ignored, never commit it)"
        (umask 077 && node - >"$file" <<'EOF'
const crypto = require("crypto");
const { privateKey } = crypto.generateKeyPairSync("ed25519");
const jwk = privateKey.export({ format: "jwk" });
const kid = "dev-" + new Date().toISOString().slice(0, 10);
const jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x: jwk.x, kid, use: "sig", alg: "EdDSA" }] };
const pepper = crypto.randomBytes(32).toString("base64url");
console.log(`# Local development secrets, generated by scripts/lib.sh write_dev_vars. Never commit.
ENVIRONMENT=dev
PUBLIC_URL=http://127.0.0.1:8787
JWT_SIGNING_KEY=${jwk.d}
JWT_KID=${kid}
JWT_PUBLIC_KEYS='${JSON.stringify(jwks)}'
PEPPER=${pepper}`);
EOF
        )
    fi
    # Keys added after a .dev.vars was first made are appended to it.
    if ! grep -q '^WEBHOOK_SIGNING_KEY=' "$file"; then
        local seed
        seed=$(node -e 'const {privateKey}=require("crypto").generateKeyPairSync("ed25519");console.log(privateKey.export({format:"jwk"}).d)')
        printf 'WEBHOOK_SIGNING_KEY=%s\n' "$seed" >>"$file"
    fi
    if ! grep -q '^WEBHOOK_SECRETS_KEY=' "$file"; then
        printf 'WEBHOOK_SECRETS_KEY=%s\n' \
            "$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')" >>"$file"
    fi
    if [[ -n "$port" ]]; then
        local tmp="$file.tmp.$$"
        sed "s|^PUBLIC_URL=.*|PUBLIC_URL=http://127.0.0.1:${port}|" "$file" >"$tmp" && mv "$tmp" "$file"
    fi
    # The domain proof's resolver: TRADEPOST_DNS_RESOLVER when set (scripts/test's stub), else
    # the admin worker's default (Cloudflare's public DNS over HTTPS).
    local dns="$file.dns.$$"
    grep -v '^DNS_RESOLVER=' "$file" >"$dns" || true
    if [[ -n "${TRADEPOST_DNS_RESOLVER:-}" ]]; then
        printf 'DNS_RESOLVER=%s\n' "$TRADEPOST_DNS_RESOLVER" >>"$dns"
    fi
    mv "$dns" "$file"
    chmod 600 "$file"
    local dir
    for dir in $(worker_configs | xargs -n1 dirname); do
        [[ "$dir" == "." ]] && continue
        cp "$file" "$dir/.dev.vars"
    done
}

# start_stack PORT STATE_DIR LOGFILE: applies D1 migrations to the local state in STATE_DIR and
# starts every worker in one `wrangler dev` session in its own process group, in the background.
# Sets STACK_PGID (and writes LOGFILE.pid); returns when http://127.0.0.1:PORT/ answers.
start_stack() {
    local port="$1" state="$2" log="$3"
    mkdir -p "$state" "$(dirname "$log")"
    state="$(cd "$state" && pwd)"
    : >"$log"
    local configs=() cfg
    for cfg in $(worker_configs); do configs+=(-c "$cfg"); done
    say "applying D1 migrations to $state"
    wrangler d1 migrations apply tradepost --local --persist-to "$state" \
        -c workers/accounts/wrangler.toml >>"$log" 2>&1 ||
        { tail -n 40 "$log" >&2; die "d1 migrations failed (log: $log)"; }
    # Each worker reads the .dev.vars beside its own config (wrangler's --env-file reaches only
    # the first config of a multi-config session), so PUBLIC_URL is set in all the copies.
    write_dev_vars "$port"
    local inspector
    inspector=$(free_port)
    say "starting wrangler dev on http://127.0.0.1:$port (${configs[*]}; log: $log)"
    # setsid: wrangler and its workerd children get a process group of their own, so stop_stack
    # can end all of them with one signal. The registry path keeps this session out of the
    # machine-wide dev registry, so a parallel stack (scripts/dev beside scripts/test) cannot
    # answer for this one's service bindings.
    WRANGLER_REGISTRY_PATH="$state/dev-registry" \
        setsid wrangler dev "${configs[@]}" --port "$port" --ip 127.0.0.1 \
        --inspector-port "$inspector" --persist-to "$state" \
        --show-interactive-dev-session=false </dev/null >>"$log" 2>&1 &
    STACK_PGID=$!
    STACK_LOG="$log"
    echo "$STACK_PGID" >"$log.pid"
    if ! wait_for_http "http://127.0.0.1:$port/" 120; then
        tail -n 80 "$log" >&2
        stop_stack
        die "the stack did not come up"
    fi
    say "stack up: http://127.0.0.1:$port (pgid $STACK_PGID)"
}

# stop_stack: ends the process group started by start_stack (TERM, then KILL after 10 s) and
# waits until none of its processes, workerd included, are left. Safe to call twice, or from a
# trap when nothing was started.
stop_stack() {
    local pgid="${STACK_PGID:-}"
    [[ -n "$pgid" ]] || return 0
    STACK_PGID=""
    if pgrep -g "$pgid" >/dev/null 2>&1; then
        say "stopping the stack (pgid $pgid)"
        kill -TERM -- "-$pgid" 2>/dev/null || true
        local _
        for _ in $(seq 1 20); do
            pgrep -g "$pgid" >/dev/null 2>&1 || break
            sleep 0.5
        done
        if pgrep -g "$pgid" >/dev/null 2>&1; then
            warn "stack still running after 10 s; killing it"
            kill -KILL -- "-$pgid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    wait "$pgid" 2>/dev/null || true
    [[ -n "${STACK_LOG:-}" ]] && rm -f "$STACK_LOG.pid"
    return 0
}

# Installs the conventional EXIT/INT/TERM traps that stop the stack.
trap_stop_stack() {
    trap 'stop_stack' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
