#!/usr/bin/env bash
# Build the project's Dockerfile and run the image for real, without Docker.
#
#   bash scripts/container-check.sh [PROJECT_DIR]     (default: .; `make docker-check`)
#
# These machines have no Docker engine, and no registry to pull base images
# from. This script uses podman (installed from Debian's packages if missing)
# and stands in a locally built Debian image for the Dockerfile's FROM image:
# Debian's python3 (3.11) with pip, made with debootstrap (about a minute,
# cached under /var/cache/container-check). Needs root.
#
# Checks, each printed as PASS or FAIL:
#   build      the image builds (docker format, so HEALTHCHECK is kept)
#   user       the image does not run as root
#   start      the container started with MOCKPMS_PORT=<free port> answers
#              GET /_mock/health within 30 s
#   health     the image's own HEALTHCHECK passes (podman healthcheck run)
#   gateway    a signed online/gateway call with MOCKPMS_API_KEY/SECRET
#              returns errorCode "0"
#   timing     the HEALTHCHECK interval is at most 1 s (compose's service_healthy
#              is reached about a second after start)
#   labels     OCI labels: title mockpms, version = mockpms.__version__, MIT
#   banner     once "listening on" is in the log, /_mock/health answers at the
#              first try (a Testcontainers log wait never races the socket)
#   config     a mounted config file (MOCKPMS_CONFIG) with its own port: the
#              container answers there (the image's host/port are only defaults)
#   data       MOCKPMS_DATA_DIR=/data on a named volume, as the image's user: a
#              signed sale is still there after `podman restart`
# Exit status: 0 when all pass, 1 when one fails, 2 when the tooling could
# not be set up.
set -uo pipefail

project=$(cd "${1:-.}" && pwd)
cache=/var/cache/container-check
tag=localhost/mockpms-container-check:latest
name=mockpms-check-$$
fails=0

say() { printf '%s\n' "$*"; }
check() { if [ "$2" = 0 ]; then say "PASS $1"; else say "FAIL $1${3:+: $3}"; fails=$((fails + 1)); fi; }
die() { say "SETUP FAILED: $*"; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Status 0 once GET /_mock/health on 127.0.0.1:$1 answers, within 30 s.
healthy() {
  for _ in $(seq 60); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_mock/health", timeout=2).read()' \
      "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

[ "$(id -u)" = 0 ] || die "run as root"
[ -f "$project/Dockerfile" ] || die "no Dockerfile in $project"

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (Debian packages)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap; } \
    >/tmp/container-check-apt.log 2>&1 || die "apt-get failed, see /tmp/container-check-apt.log"
fi

# This sandbox allows no rlimit changes and no cgroup v2 delegation: runc, cgroupfs, no default ulimits.
mkdir -p /etc/containers
if ! grep -q 'container-check' /etc/containers/containers.conf 2>/dev/null; then
  cat >/etc/containers/containers.conf <<'CONF'
# written by container-check.sh
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi

from=$(awk 'toupper($1)=="FROM"{for(i=2;i<=NF;i++) if ($i !~ /^--/) {print $i; exit}}' "$project/Dockerfile")
[ -n "$from" ] || die "no FROM line in the Dockerfile"
case "$from" in
  */*) full="$from" ;;
  *) full="docker.io/library/$from" ;;
esac
case "$full" in *:*) ;; *) full="$full:latest" ;; esac

if ! podman image exists "$full"; then
  mkdir -p "$cache"
  if [ ! -f "$cache/rootfs.tar" ]; then
    say "building the stand-in base image (debootstrap, about a minute)"
    rm -rf "$cache/rootfs"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
      bookworm "$cache/rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 \
      || die "debootstrap failed, see $cache/debootstrap.log"
    rm -f "$cache"/rootfs/usr/lib/python3*/EXTERNALLY-MANAGED
    ln -sf python3 "$cache/rootfs/usr/bin/python"
    ln -sf pip3 "$cache/rootfs/usr/bin/pip"
    tar -C "$cache/rootfs" -cf "$cache/rootfs.tar" . && rm -rf "$cache/rootfs"
  fi
  podman import -q --change 'CMD ["python3"]' "$cache/rootfs.tar" "$full" >/dev/null \
    || die "podman import failed"
  say "note: $from is stood in by Debian bookworm's python3 ($(tar -xOf "$cache/rootfs.tar" ./usr/lib/os-release 2>/dev/null | grep PRETTY | cut -d'"' -f2))"
fi

# The package registries are reached through this machine's CA bundle: lend it to the build.
ca=/etc/ssl/certs/ca-certificates.crt
build_log=/tmp/container-check-build.log
podman build --pull=never --format docker --network=host -v "$ca:$ca:ro" \
  -t "$tag" "$project" >"$build_log" 2>&1
rc=$?
check build $rc "see $build_log"
[ $rc = 0 ] || { say "RESULT: $fails failed"; exit 1; }

user=$(podman image inspect --format '{{.Config.User}}' "$tag")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ]
check user $? "image runs as '${user:-root}'"

port=$(free_port)
key=check-key
secret=check-secret
podman run -d --name "$name" --network=host \
  -e MOCKPMS_PORT="$port" -e MOCKPMS_API_KEY="$key" -e MOCKPMS_SECRET="$secret" \
  "$tag" >/dev/null 2>/tmp/container-check-run.log
cleanup() { podman rm -f "$name" >/dev/null 2>&1; }
trap cleanup EXIT

healthy "$port"
check start $? "no answer on port $port; logs: $(podman logs --tail 5 "$name" 2>&1 | tr '\n' ' ')"

if [ "$(podman image inspect --format '{{if .Config.Healthcheck}}yes{{end}}' "$tag")" = yes ]; then
  podman healthcheck run "$name" >/dev/null 2>&1
  check health $? "the image's HEALTHCHECK failed with MOCKPMS_PORT=$port"
else
  check health 1 "the image has no HEALTHCHECK"
fi

python3 - "$port" "$key" "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time, urllib.request
port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
ts = str(int(time.time() * 1000))
sign = base64.b64encode(hmac.new(secret.encode(), ts.encode(), hashlib.sha1).digest()).decode()
body = json.dumps({"apiKey": key, "timestamp": int(ts), "sign": sign, "lang": "en"}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/tt-pms-ws/rest/online/gateway", body,
                             {"Content-Type": "application/json"})
answer = json.load(urllib.request.urlopen(req, timeout=5))
sys.exit(0 if answer.get("errorCode") == "0" else 1)
PY
check gateway $? "signed online/gateway did not return errorCode 0"

interval=$(podman image inspect --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval}}{{end}}' "$tag")
# Go durations print as e.g. 1s or 1000000000 depending on the podman version.
case "$interval" in 1s|1000000000|500ms|500000000) ok=0 ;; *) ok=1 ;; esac
check timing $ok "HEALTHCHECK interval is '$interval', want 1s"

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$project/mockpms/__init__.py")
labels=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.title"}} {{index .Labels "org.opencontainers.image.version"}} {{index .Labels "org.opencontainers.image.licenses"}}' "$tag")
[ "$labels" = "mockpms $version MIT" ]
check labels $? "labels are '$labels', want 'mockpms $version MIT'"

# Banner before bind would let a log wait race the socket: poll the log only, then one try.
port3=$(free_port)
podman run -d --name "$name-banner" --network=host -e MOCKPMS_PORT="$port3" \
  "$tag" >/dev/null 2>>/tmp/container-check-run.log
ok=1
for _ in $(seq 200); do
  if podman logs "$name-banner" 2>&1 | grep -q "listening on"; then
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_mock/health", timeout=2).read()' "$port3" 2>/dev/null && ok=0
    break
  fi
  sleep 0.05
done
podman rm -f "$name-banner" >/dev/null 2>&1
check banner $ok "the banner was printed before /_mock/health answered"

port2=$(free_port)
confdir=$(mktemp -d)
printf 'port = %s\n' "$port2" >"$confdir/mockpms.toml"
chmod 755 "$confdir" && chmod 644 "$confdir/mockpms.toml"
podman run -d --name "$name-config" --network=host -v "$confdir:/config:ro" \
  -e MOCKPMS_CONFIG=/config/mockpms.toml "$tag" >/dev/null 2>>/tmp/container-check-run.log
cleanup() { podman rm -f --ignore "$name" "$name-config" "$name-banner" >/dev/null 2>&1; rm -rf "$confdir"; }
healthy "$port2"
check config $? "a config file's port=$port2 was not used; logs: $(podman logs --tail 5 "$name-config" 2>&1 | tr '\n' ' ')"

port4=$(free_port)
podman run -d --name "$name-data" --network=host -v "$name-data:/data" \
  -e MOCKPMS_DATA_DIR=/data -e MOCKPMS_PORT="$port4" -e MOCKPMS_API_KEY="$key" \
  -e MOCKPMS_SECRET="$secret" "$tag" >/dev/null 2>>/tmp/container-check-run.log
cleanup() {
  podman rm -f --ignore "$name" "$name-config" "$name-banner" "$name-data" >/dev/null 2>&1
  podman volume rm -f "$name-data" >/dev/null 2>&1
  rm -rf "$confdir"
}
ok=1
if healthy "$port4" && python3 - "$port4" "$key" "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time, urllib.request
port, key, secret = sys.argv[1], sys.argv[2], sys.argv[3]
ts = int(time.time() * 1000)
sign = base64.b64encode(hmac.new(secret.encode(), str(ts).encode(), hashlib.sha1).digest()).decode()
sale = {"apiKey": key, "timestamp": ts, "sign": sign, "type": "WXPAY", "rrn": "KEPT-1",
        "amt": 100, "ccy": "HKD", "storeCode": "S1", "tillId": "01", "salesman": "9",
        "txDateTime": "2024-05-01T12:00:00+0800", "lang": "en"}
req = urllib.request.Request(f"http://127.0.0.1:{port}/tt-pms-ws/rest/online/sales",
                             json.dumps(sale).encode(), {"Content-Type": "application/json"})
sys.exit(0 if json.load(urllib.request.urlopen(req, timeout=5)).get("errorCode") == "0" else 1)
PY
then
  podman restart "$name-data" >/dev/null 2>&1
  if healthy "$port4"; then
    python3 -c 'import json, sys, urllib.request; t = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_mock/transactions/KEPT-1", timeout=5)); sys.exit(0 if t["rrn"] == "KEPT-1" else 1)' "$port4" 2>/dev/null && ok=0
  fi
fi
check data $ok "a sale on MOCKPMS_DATA_DIR=/data did not survive a restart; logs: $(podman logs --tail 5 "$name-data" 2>&1 | tr '\n' ' ')"

[ $fails = 0 ] && say "RESULT: all passed" || say "RESULT: $fails failed"
[ $fails = 0 ]
