#!/usr/bin/env bash
# A CPU hog to run the suite under load (issue 22; RELIABILITY.md, "Running the suite under load").
#   .ci/cpu-hog.sh [N] -- CMD...   runs N busy processes (default 2) while CMD runs, stops them, exits with CMD's status
#   .ci/cpu-hog.sh [N]             runs them until interrupted (Ctrl-C / SIGTERM stops every one)
# Each hog is a shell busy loop at normal priority: on a 2-core machine, 2 hogs take about half the CPU from the suite.
set -euo pipefail
n=2
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then n=$1; shift; fi
hogs=()
stop() {
  # Only the hogs this script started, by pid.
  for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < n; i++)); do
  sh -c 'while :; do :; done' &
  hogs+=("$!")
done
echo "cpu-hog: $n busy processes (${hogs[*]})" >&2
if [[ ${1:-} == -- ]]; then
  shift
  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi
wait
