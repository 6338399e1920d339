#!/usr/bin/env bash
# Training throughput, Convoy against PyTorch, on full Fashion-MNIST with the reference CNN (batch 128,
# Adam 1e-3), in one go, and prints a Markdown table:
#   Convoy train job, parameter averaging once per epoch, 2 epochs, spark.master=local[1] and local[2]
#   PyTorch (scripts/torch_peer.py train), 2 epochs, 1 and 2 intra-op threads
#   Convoy synchronous SGD (train.strategy=sync-sgd), 1 epoch, local[2]
# Runs are interleaved (Convoy 1, PyTorch 1, Convoy 2, PyTorch 2, sync-SGD) so that each pair sees
# similar load. Before each run it waits (up to LOAD_WAIT seconds, in 30 s steps) for the 1-minute load
# average to fall below LOAD_MAX, and records the load it started with.
#
#   scripts/bench_training.sh
#   CONVOY_TARGET=target-bench2 OUT=/tmp/bench-training scripts/bench_training.sh
#
# Environment: OUT (results folder; default /tmp/convoy-bench-training-<time>), EPOCHS (default 2),
# SYNC_EPOCHS (default 1), CONVOY_ROOT (the Convoy checkout to run, default this one; a clean
# `git archive HEAD` export keeps other people's uncommitted edits out of the build), LOAD_MAX (default 2.5), LOAD_WAIT (default 60), SKIP_SYNC=1, PARSE_ONLY=1 (only
# print the table of an existing OUT), CONVOY_TARGET and
# the other bin/convoy variables. Per run, OUT holds the logs, /usr/bin/time -v's report (peak RSS,
# CPU seconds) and, for Convoy, the run directory (metrics.jsonl). Needs /usr/bin/time (Debian: time).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-/tmp/convoy-bench-training-$(date +%Y%m%d-%H%M%S)}"
epochs="${EPOCHS:-2}"
sync_epochs="${SYNC_EPOCHS:-1}"
load_max="${LOAD_MAX:-2.5}"
load_wait="${LOAD_WAIT:-60}"
convoy_root="${CONVOY_ROOT:-$root}"   # the checkout whose bin/convoy and conf/ run (e.g. a clean export)
mkdir -p "$out"
cd "$root"

load1() { cut -d' ' -f1 /proc/loadavg; }

wait_for_quiet() {   # waits up to $load_wait s for the 1-minute load to drop below $load_max
  local waited=0
  while awk -v l="$(load1)" -v m="$load_max" 'BEGIN { exit !(l >= m) }' && (( waited < load_wait )); do
    sleep 30
    waited=$((waited + 30))
  done
}

# Runs one measurement: run <name> <command...>; writes $out/<name>.{stdout,stderr,time,load}.
run() {
  local name="$1"
  shift
  wait_for_quiet
  echo "$(date +%T) $name: load $(cut -d' ' -f1-3 /proc/loadavg): $*" >&2
  cut -d' ' -f1-3 /proc/loadavg > "$out/$name.load"
  /usr/bin/time -v -o "$out/$name.time" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || {
    echo "$name failed; see $out/$name.stderr" >&2
    tail -20 "$out/$name.stderr" >&2
    return 1
  }
  cut -d' ' -f1-3 /proc/loadavg >> "$out/$name.load"
}

# Build first (bin/convoy builds when the jar is missing or stale), so no run pays for it.
# ('report' of a missing folder builds, then fails at once in the JVM.)
if [[ "${PARSE_ONLY:-0}" != 1 ]]; then
  "$convoy_root/bin/convoy" report "$out/no-such-run" > "$out/build.log" 2>&1 || true
fi

convoy() {   # convoy <name> <master> <epochs> [key=value ...]
  local name="$1" master="$2" ep="$3"
  shift 3
  run "$name" "$convoy_root/bin/convoy" train "$convoy_root/conf/fashion-mnist.conf" "train.epochs=$ep" "spark.master=$master" \
      "output.dir=$out/runs-$name" "$@"
}
torch() {   # torch <name> <threads> <epochs>
  run "$1" /usr/bin/python3 scripts/torch_peer.py train --threads "$2" --epochs "$3" --batch 128
}

echo "java: $(java -version 2>&1 | head -1); results in $out" >&2
if [[ "${PARSE_ONLY:-0}" != 1 ]]; then
# The global batch is PyTorch's 128 everywhere: one replica of 128, two averaged replicas of 64 each,
# and sync SGD's 128 split over its two tasks.
convoy convoy-1 'local[1]' "$epochs" train.batch-size=128
torch torch-1 1 "$epochs"
convoy convoy-2 'local[2]' "$epochs" train.batch-size=64
torch torch-2 2 "$epochs"
if [[ "${SKIP_SYNC:-0}" != 1 ]]; then
  convoy convoy-sync-2 'local[2]' "$sync_epochs" train.strategy=sync-sgd train.batch-size=128
fi
fi

python3 - "$out" <<'PY'
import json, os, re, sys

out = sys.argv[1]

def time_report(name):
    rss = cpu = None
    with open(os.path.join(out, name + ".time")) as f:
        t = f.read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    u = re.search(r"User time \(seconds\): ([\d.]+)", t)
    s = re.search(r"System time \(seconds\): ([\d.]+)", t)
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t)
    cpu = float(u.group(1)) + float(s.group(1)) if u and s else float("nan")
    wall = 0.0
    if w:
        for part in w.group(1).split(":"):
            wall = wall * 60 + float(part)
    return rss, cpu, wall

def loads(name):
    with open(os.path.join(out, name + ".load")) as f:
        lines = [l.split() for l in f if l.strip()]
    return "%s / %s" % (lines[0][0], lines[-1][0] if len(lines) > 1 else "?")

def convoy_epochs(name):
    lines = [l.strip() for l in open(os.path.join(out, name + ".stdout")) if l.strip()]
    run_dir = lines[-1] if lines else ""
    if run_dir.startswith("file:"):
        run_dir = run_dir[5:]
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.exists(path):   # fall back to the newest run folder under output.dir
        base = os.path.join(out, "runs-" + name)
        run_dir = max((os.path.join(base, d) for d in os.listdir(base)), key=os.path.getmtime)
        path = os.path.join(run_dir, "metrics.jsonl")
    eps = []
    for l in open(path):
        if l.strip():
            m = json.loads(l)
            secs = 60000 / m["images_per_second"]   # the epoch's wall time (images / (images/s))
            eps.append({"ips": m["images_per_second"], "acc": m["test_accuracy"], "secs": secs,
                        "comm": (m["communication_s"] + m["wait_s"]) / secs, "compute": m["compute_s"],
                        "communication": m["communication_s"], "wait": m["wait_s"]})
    return eps, run_dir

def torch_epochs(name):
    eps = []
    for l in open(os.path.join(out, name + ".stdout")):
        if l.startswith("{"):
            m = json.loads(l)
            eps.append({"ips": m["images_per_second"], "acc": m["test_accuracy"], "secs": m["seconds"],
                        "comm": None})
    return eps

rows = []
for name, label, kind in [("convoy-1", "Convoy, local[1], parameter averaging", "c"),
                          ("torch-1", "PyTorch 1.13, 1 thread", "t"),
                          ("convoy-2", "Convoy, local[2], parameter averaging", "c"),
                          ("torch-2", "PyTorch 1.13, 2 threads", "t"),
                          ("convoy-sync-2", "Convoy, local[2], sync-sgd", "c")]:
    if not os.path.exists(os.path.join(out, name + ".time")):
        continue
    if kind == "c":
        eps, run_dir = convoy_epochs(name)
        print("%s: %s" % (name, run_dir))
        for i, e in enumerate(eps, 1):
            print("  epoch %d: %.0f img/s, %.1f s, compute %.1f s, communication %.2f s, wait %.2f s, test %.4f"
                  % (i, e["ips"], e["secs"], e["compute"], e["communication"], e["wait"], e["acc"]))
    else:
        eps = torch_epochs(name)
    rss, cpu, wall = time_report(name)
    rows.append((name, label, eps, rss, cpu, wall, loads(name)))

def ips(eps, which):
    if which == "last":
        return eps[-1]["ips"]
    return sum(e["ips"] for e in eps) / len(eps)

print()
print("| run | epochs | img/s epoch %s | img/s mean | test acc. | averaging/comm. share | peak RSS MiB | CPU s / wall s | load start / end |"
      % "2 (last)")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
by = {}
for name, label, eps, rss, cpu, wall, load in rows:
    by[name] = eps
    share = ", ".join("%.1f%%" % (100 * e["comm"]) for e in eps) if eps[0]["comm"] is not None else "-"
    print("| %s | %d | %.0f | %.0f | %.4f | %s | %.0f | %.0f / %.0f | %s |"
          % (label, len(eps), ips(eps, "last"), ips(eps, "mean"), eps[-1]["acc"], share, rss, cpu, wall, load))
print()
for c, t, n in [("convoy-1", "torch-1", 1), ("convoy-2", "torch-2", 2)]:
    if c in by and t in by:
        print("Convoy/PyTorch at %d thread(s): last epoch %.2f, mean %.2f, test accuracy %+.4f"
              % (n, ips(by[c], "last") / ips(by[t], "last"), ips(by[c], "mean") / ips(by[t], "mean"),
                 by[c][-1]["acc"] - by[t][-1]["acc"]))
if "convoy-sync-2" in by and "convoy-2" in by:
    print("sync-sgd / parameter averaging on local[2] (epoch 1): %.2f"
          % (by["convoy-sync-2"][0]["ips"] / by["convoy-2"][0]["ips"]))
print("results in", out)
PY
