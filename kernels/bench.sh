#!/usr/bin/env bash
# Runs the kernels' JMH benchmarks from the test classpath.
#
#   kernels/bench.sh                      # SGEMM (GemmBench) and the FMA peak probe
#   kernels/bench.sh 'GemmBench.square'   # a subset: any JMH regex and options pass through
#   kernels/bench.sh GemmBench -p n=1024 -wi 2 -i 3
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 kernels/bench.sh GemmBench   # on JDK 25
#   kernels/bench.sh --cpu-time [NN:1024:1024:1024 ...]   # not JMH: GemmCpuTimeProbe, wall and
#                                                          # thread-CPU GFLOPS (for a loaded machine)
#
# Environment: CONVOY_TARGET = Maven build folder (default target-bench, so a benchmark build never
# collides with a test build), SKIP_BUILD=1 reuses the last build, MVN_OPTS = extra Maven flags (-o).
# After JMH's own table it prints GFLOPS for GemmBench (2*m*n*k per call) and FmaPeakBench.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="${CONVOY_TARGET:-target-bench}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  # Test classes (JMH's annotation processor runs here) and the test classpath.
  (cd "$root" && mvn -q -B ${MVN_OPTS:-} -Dconvoy.target="$target" -pl kernels -am \
      test-compile dependency:build-classpath \
      -Dmdep.outputFile="$here/$target/bench.classpath" -Dmdep.includeScope=test)
fi
cp="$here/$target/test-classes:$here/$target/classes:$(cat "$here/$target/bench.classpath")"

if [[ "${1:-}" == --cpu-time ]]; then
  shift
  echo "java: $("$java_bin" -version 2>&1 | head -1)"
  exec "$java_bin" --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=100000 -cp "$cp" \
      io.convoy.kernels.bench.GemmCpuTimeProbe "$@"
fi

args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
  args=('io.convoy.kernels.bench.(GemmBench|FmaPeakBench)')
fi
csv="$here/$target/jmh-result.csv"
echo "java: $("$java_bin" -version 2>&1 | head -1)"
"$java_bin" --add-modules=jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main \
    -f 1 -rf csv -rff "$csv" "${args[@]}"

lanes="$("$java_bin" --add-modules=jdk.incubator.vector -cp "$cp" \
    io.convoy.kernels.bench.FmaPeakBench\$Lanes 2>/dev/null || echo 8)"
echo
echo "GFLOPS (float lanes per vector: $lanes)"
# CSV columns: Benchmark, Mode, Threads, Samples, Score, Score Error, Unit, then the @Param columns.
python3 - "$csv" "$lanes" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head, lanes = rows[0], int(sys.argv[2])
for r in rows[1:]:
    rec = dict(zip(head, r))
    name, score = rec["Benchmark"].rsplit(".", 1)[-1], float(rec["Score"])
    if "GemmBench" in rec["Benchmark"]:
        if rec.get("Param: shape"):
            op, m, n, k = rec["Param: shape"].split(":")
            label = rec["Param: shape"]
        else:
            op, m = "NN", rec["Param: n"]
            n = k = m
            label = "NN:%s:%s:%s" % (m, n, k)
        flops = 2.0 * int(m) * int(n) * int(k)
        print("  %-22s %8.1f GFLOPS  (%.1f us/call)" % (label, flops / (score * 1e3), score))
    elif "FmaPeakBench" in rec["Benchmark"]:
        print("  %-22s %8.1f GFLOPS  (%.1f vector FMAs/us)" % ("fma peak", score * lanes * 2 / 1e3, score))
PY
