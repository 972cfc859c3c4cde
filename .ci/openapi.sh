#!/usr/bin/env bash
# Checks the OpenAPI descriptions in openapi/: validates both files with openapi-spec-validator,
# then boots a seed and a hosted cluster in turn with the already built podsim and fuzzes them
# with schemathesis (openapi/schemathesis.toml): the pod API of each profile, and the control
# API's side-effect-free and bus operations on the hosted one. Any server error, undocumented
# status, wrong content type, header or body, or a pod that no longer answers /health/live is a
# finding. About a minute of fuzzing in all; exits non-zero on any finding.
# Usage, from anywhere: bash .ci/openapi.sh. Needs python3 (with venv), curl, and PyPI for the
# first run (the tools are installed once into .build/pyvenv).
set -euo pipefail
cd "$(dirname "$0")/.."

podsim=${PODSIM:-.build/debug/podsim}
venv=.build/pyvenv
# Seconds of fuzzing: the pod API per profile, then the control API.
pod_seconds=${OPENAPI_POD_SECONDS:-25}
control_seconds=${OPENAPI_CONTROL_SECONDS:-10}

# The tools, pinned so that a run is the same on every machine; changing a pin reinstalls.
tools=(openapi-spec-validator==0.9.0 schemathesis==4.32.5)

[ -x "$podsim" ] || { echo "openapi: $podsim not found; run swift build first" >&2; exit 2; }
if [ "$(cat "$venv/installed" 2>/dev/null)" != "${tools[*]}" ]; then
  echo "openapi: installing ${tools[*]} into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${tools[@]}"
  echo "${tools[*]}" >"$venv/installed"
fi

"$venv/bin/openapi-spec-validator" openapi/pod.yaml openapi/control.yaml

work=$(mktemp -d "${TMPDIR:-/tmp}/podsim-openapi-XXXXXX")
# Hypothesis keeps nothing between runs (and writes nothing into the tree): each run starts from
# the fixed generation alone.
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"
up_pid=""

# Stops the `podsim up` this script started (by its pid) and waits until it exited.
stop_cluster() {
  if [ -n "$up_pid" ]; then
    kill -INT "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
    up_pid=""
  fi
}
trap 'stop_cluster; rm -rf "$work"' EXIT

# json FILE EXPRESSION: a value read from a JSON file (EXPRESSION is Python over `d`).
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# post URL BODY [CURL ARGS…]: POSTs JSON and prints the answer; fails unless the status is 2xx.
post() {
  local url=$1 body=$2
  shift 2
  curl --silent --show-error --fail --max-time 10 -H 'content-type: application/json' --data "$body" "$@" "$url"
}

# sign_in POD KEY: a new session token for the key.
sign_in() {
  post "$1/api/auth/sign-in" '{}' -H "authorization: Bearer $2" --cookie-jar "$work/cookies" >/dev/null
  awk '$6 == "podsim_session" { print $7 }' "$work/cookies"
}

# schemathesis ARGS…: the pinned settings of openapi/schemathesis.toml, or of the file $config.
schemathesis() { "$venv/bin/schemathesis" --config-file "${config:-openapi/schemathesis.toml}" run --no-color "$@"; }

findings=()
note() { findings+=("$1"); }

# boot PROFILE: starts `podsim up` in the background and waits for its cluster.json.
boot() {
  local profile=$1
  state="$work/$profile"
  "$podsim" up --pods 2 --profile "$profile" --state-dir "$state" >"$work/$profile-up.log" 2>&1 &
  up_pid=$!
  local deadline=$((SECONDS + 60))
  until [ -s "$state/cluster.json" ]; do
    if ! kill -0 "$up_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "openapi: the $profile cluster did not come up:" >&2
      cat "$work/$profile-up.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

# fuzz_pods PROFILE: fuzzes the first pod of the running cluster as a fresh account.
fuzz_pods() {
  local profile=$1 pod key org agent thread session sign_out_session
  pod=$(json "$state/cluster.json" 'd["pods"][0]["url"]')
  post "$pod/api/orgs" '{"name":"Fuzz Org"}' >"$work/org.json"
  key=$(json "$work/org.json" 'd["apiKey"]')
  org=$(json "$work/org.json" 'd["orgSlug"]')
  session=$(sign_in "$pod" "$key")
  sign_out_session=$(sign_in "$pod" "$key")
  post "$pod/api/$org/agents" '{"title":"fuzz"}' -H "authorization: Bearer $key" >"$work/agent.json"
  agent=$(json "$work/agent.json" 'd["id"]')
  post "$pod/api/$org/threads" "{\"agentId\":\"$agent\"}" -H "authorization: Bearer $key" >"$work/thread.json"
  thread=$(json "$work/thread.json" 'd["id"]')

  # The other profile's operations answer 404 here, like any unknown route.
  local other_only config=openapi/schemathesis.toml
  if [ "$profile" = seed ]; then
    other_only='^(listQueuedTurns|cancelQueuedTurn)$'
  else
    other_only='^(registerLink|listLinks|deleteLink|heartbeatLink)$'
    # Hosted answers a POST body that is not JSON with a 500, as the real server does (documented,
    # and kept by HostedRouteTests): that one 5xx is expected; any other still fails.
    config="$work/hosted.toml"
    { cat openapi/schemathesis.toml; printf '%s\n' '' '[[project.operations]]' 'include-operation-id = "postMessage"' \
      'checks.not_a_server_error.expected-statuses = ["2XX", "4XX", 500]'; } >"$config"
  fi
  PODSIM_FUZZ_KEY=$key PODSIM_FUZZ_SESSION=$session PODSIM_FUZZ_SIGN_OUT_SESSION=$sign_out_session \
    PODSIM_FUZZ_ORG=$org PODSIM_FUZZ_AGENT=$agent PODSIM_FUZZ_THREAD=$thread \
    schemathesis openapi/pod.yaml --url "$pod" --exclude-operation-id-regex "$other_only" --max-time "$pod_seconds" \
    || note "$profile pod API: schemathesis reported failures"
}

# fuzz_control: fuzzes the control API, except the calls that kill, stop or spawn processes.
fuzz_control() {
  local control
  control=$(json "$state/cluster.json" 'd["control"]["url"]')
  # The pod API's settings are read (not used) here too, so their variables must exist.
  PODSIM_FUZZ_KEY= PODSIM_FUZZ_SESSION= PODSIM_FUZZ_SIGN_OUT_SESSION= PODSIM_FUZZ_ORG= PODSIM_FUZZ_AGENT= PODSIM_FUZZ_THREAD= \
    schemathesis openapi/control.yaml --url "$control" --exclude-operation-id-regex '^(actOnProcess|startLinkDaemon)$' \
    --max-time "$control_seconds" || note "control API: schemathesis reported failures"
}

# check_pods PROFILE: every pod of the running cluster still answers /health/live.
check_pods() {
  local profile=$1 name url
  while read -r name url; do
    if ! curl --silent --fail --max-time 5 "$url/health/live" >/dev/null; then
      note "$profile: $name no longer answers /health/live"
      tail -n 20 "$state/logs/$name.log" >&2 || true
    fi
  done < <(json "$state/cluster.json" '"\n".join(p["name"] + " " + p["url"] for p in d["pods"])')
}

boot seed
fuzz_pods seed
check_pods seed
stop_cluster

boot hosted
fuzz_pods hosted
fuzz_control
check_pods hosted
stop_cluster

if [ ${#findings[@]} -gt 0 ]; then
  printf 'openapi: FINDING: %s\n' "${findings[@]}" >&2
  echo "openapi: FAILED: ${#findings[@]} finding(s)" >&2
  exit 1
fi
echo "openapi: OK: both descriptions valid; seed and hosted pod APIs and the control API fuzzed: 0 server errors, 0 violations, every pod alive"
