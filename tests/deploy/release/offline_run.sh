#!/bin/bash
# Runs inside `unshare -n` (no network but loopback): the release's bin/nxflow --version, inspect --file, and start
# with the local Kafka (the simulated instrument's detector, its EFU and the writer), a job writing a run file.
# Usage: offline_run.sh RELEASE_DIR WORK_DIR VECTOR
set -euo pipefail
release=$1 work=$2 vector=$3
ip link set lo up
nxflow="$release/bin/nxflow"
echo "== version: $("$nxflow" --version 2>/dev/null)"
echo "== inspect: $("$nxflow" inspect --file "$vector" 2>/dev/null | head -c 300)"
mkdir -p "$work/nxs"
system="$release/app/actors/common/system"
cat >"$work/writer.json" <<JSON
{ "admin": { "port": 0 }, "roles": {
  "sim": { "caHost": "127.0.0.1", "caPort": 25064, "beaconPort": 25065, "efuHost": "127.0.0.1",
           "detectorPort": 29000, "monitorPort": -1,
           "detector": "$system/bifrost_detector.json", "monitor": "$system/bifrost_monitor.json" },
  "efu": { "instances": { "detector": { "detector": "$system/bifrost_detector.json", "port": 29000,
           "commandPort": 0, "topic": "offline_detector" } } },
  "writer": { "hdfOutputPrefix": "$work/nxs" } } }
JSON
cat >"$work/run.json" <<'JSON'
{ "children": [{ "type": "group", "name": "entry", "attributes": { "NX_class": "NXentry" }, "children": [
  { "module": "mdat", "config": { "items": ["start_time", "end_time"] } },
  { "type": "group", "name": "events", "children": [
    { "module": "ev44", "config": { "topic": "offline_detector", "source": "bifrost_detector" } } ] } ] }] }
JSON
"$nxflow" start --config "$work/writer.json" >"$work/start.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; "$nxflow" kafka stop --name local >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 240); do
  grep -q "admin endpoint on" "$work/start.log" && break
  kill -0 $pid 2>/dev/null || { echo "== start ended early"; cat "$work/start.log"; exit 1; }
  sleep 0.5
done
grep -q "admin endpoint on" "$work/start.log" || { echo "== start did not come up"; cat "$work/start.log"; exit 1; }
echo "== started"
"$nxflow" job start --structure "$work/run.json" --filename run1.nxs --stop +6s --wait >"$work/job.log" 2>&1 ||
  { echo "== job failed"; cat "$work/job.log"; cat "$work/start.log"; exit 1; }
echo "== job done"
kill -TERM $pid
wait $pid || true
grep -E "starting roles|Local Kafka|Java|fetch" "$work/start.log" | sed 's/^/== log: /'
