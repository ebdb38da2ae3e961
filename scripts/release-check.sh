#!/usr/bin/env bash
# Build the sdist and the wheel, check them with twine, install the wheel into a
# fresh virtualenv and serve from it: what a user gets from `pip install mockpms`.
#
#   bash scripts/release-check.sh [PROJECT_DIR]      (default: .; `make release-check`)
#
# Checks, each printed as PASS or FAIL:
#   build     `python -m build` makes one sdist and one wheel named for __version__
#   twine     `twine check --strict` accepts both
#   install   the wheel installs into a fresh venv; `mockpms --version` says __version__
#   serve     that install's `mockpms serve --port 0` answers /_mock/health, and a
#             signed online/gateway call (`mockpms call`) returns errorCode "0"
# Exit status: 0 when all pass, 1 when one fails.
set -uo pipefail

project=$(cd "${1:-.}" && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/mockpms-release.XXXXXX)
fails=0
say() { printf '%s\n' "$*"; }
check() { if [ "$2" = 0 ]; then say "PASS $1"; else say "FAIL $1${3:+: $3}"; fails=$((fails + 1)); fi; }
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$project/mockpms/__init__.py")
[ -n "$version" ] || { say "FAIL version: no __version__ in mockpms/__init__.py"; exit 1; }

"$python" -m venv "$work/tools" && "$work/tools/bin/pip" install -q --upgrade pip >/dev/null 2>&1
# The release extra's requirements, read from pyproject.toml (its one declaration).
mapfile -t tools < <("$work/tools/bin/python" - "$project/pyproject.toml" <<'PY'
import sys
try:
    import tomllib
except ImportError:
    import pip._vendor.tomli as tomllib
with open(sys.argv[1], "rb") as file:
    print("\n".join(tomllib.load(file)["project"]["optional-dependencies"]["release"]))
PY
)
"$work/tools/bin/pip" install -q "${tools[@]}" >"$work/tools.log" 2>&1 || { say "FAIL tools: see pip output below"; cat "$work/tools.log"; exit 1; }

# Build from a copy, so the checkout's build/ and egg-info stay as they are.
mkdir "$work/src"
(cd "$project" && git ls-files -z 2>/dev/null | xargs -0 -I{} cp --parents {} "$work/src/") \
  || cp -r "$project/." "$work/src/"
"$work/tools/bin/python" -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1
rc=$?
sdist="$work/dist/mockpms-$version.tar.gz"
wheel="$work/dist/mockpms-$version-py3-none-any.whl"
[ $rc = 0 ] && [ -f "$sdist" ] && [ -f "$wheel" ]
check build $? "$(tail -3 "$work/build.log" | tr '\n' ' '); dist: $(ls "$work/dist" 2>/dev/null | tr '\n' ' ')"
[ -f "$wheel" ] || { say "RESULT: $fails failed"; exit 1; }

"$work/tools/bin/twine" check --strict "$work"/dist/* >"$work/twine.log" 2>&1
check twine $? "$(tr '\n' ' ' <"$work/twine.log")"

"$python" -m venv "$work/user" && "$work/user/bin/pip" install -q "$wheel" >"$work/install.log" 2>&1
shown=$("$work/user/bin/mockpms" --version 2>&1)
[ "$shown" = "mockpms $version" ]
check install $? "mockpms --version said '$shown', expected 'mockpms $version'"

"$work/user/bin/mockpms" serve --port 0 >"$work/serve.log" 2>&1 &
server=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^mockpms .* listening on \(http[^ ]*\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
ok=1
if [ -n "$url" ] && "$work/user/bin/python" -c \
  "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/_mock/health', timeout=5)" "$url"; then
  answer=$("$work/user/bin/mockpms" call --url "$url" online/gateway lang=en 2>&1)
  printf '%s' "$answer" | grep -q '"errorCode": "0"' && ok=0
fi
check serve $ok "url='$url'; $(tail -3 "$work/serve.log" | tr '\n' ' ') ${answer:-}"

[ $fails = 0 ] && say "RESULT: all passed" || say "RESULT: $fails failed"
[ $fails = 0 ]
