#!/usr/bin/env bash
# Starts the Convoy Java kernel for Jupyter (the kernel.json written by notebooks/setup.sh calls this):
#   notebooks/kernel/run-kernel.sh <connection file>
# Class path: the kernel jar and its libraries (notebooks/kernel/$CONVOY_TARGET/), Convoy's compiled
# modules (kernels, pipeline, jobs in $CONVOY_TARGET), and Convoy's third-party jars, Spark and Hadoop
# included: $CONVOY_NB_DEPS when set (a class path), else the list setup.sh wrote.
# JVM flags: the root pom's convoy.jvm.flags (Vector API module, Spark's add-opens), headless AWT.
# Environment: CONVOY_TARGET (Maven build folder, default target), CONVOY_NB_MEMORY (heap, default 3g),
# CONVOY_NB_DEPS, JAVA_HOME, CONVOY_JAVA_OPTS (extra JVM options).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${CONVOY_TARGET:-target}"
out="$here/$build"

kernel_jar="$out/convoy-notebook-kernel-0.1.0-SNAPSHOT.jar"
if [[ ! -f "$kernel_jar" || ! -s "$out/kernel-classpath.txt" ]]; then
  echo "convoy kernel: $kernel_jar is missing; run: bash notebooks/setup.sh (with CONVOY_TARGET=$build)" >&2
  exit 1
fi
deps="${CONVOY_NB_DEPS:-}"
if [[ -z "$deps" ]]; then
  if [[ ! -s "$out/convoy-classpath.txt" ]]; then
    echo "convoy kernel: $out/convoy-classpath.txt is missing; run: bash notebooks/setup.sh" >&2
    exit 1
  fi
  deps="$(cat "$out/convoy-classpath.txt")"
fi
for m in kernels pipeline jobs; do
  if [[ ! -d "$root/$m/$build/classes" ]]; then
    echo "convoy kernel: $root/$m/$build/classes is missing; build Convoy first (mvn -Dconvoy.target=$build -DskipTests package)" >&2
    exit 1
  fi
done

jvm_flags="$(sed -n 's:.*<convoy.jvm.flags>\(.*\)</convoy.jvm.flags>.*:\1:p' "$root/pom.xml")"
java_bin="java"
[[ -n "${JAVA_HOME:-}" ]] && java_bin="$JAVA_HOME/bin/java"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

cp="$kernel_jar:$(cat "$out/kernel-classpath.txt"):$root/kernels/$build/classes:$root/pipeline/$build/classes:$root/jobs/$build/classes:$deps"
cd "${CONVOY_NB_WORKDIR:-$root}"
# shellcheck disable=SC2086
exec "$java_bin" -Xmx"${CONVOY_NB_MEMORY:-3g}" $jvm_flags -Djava.awt.headless=true \
  -Dconvoy.project.root="$root" ${CONVOY_JAVA_OPTS:-} -cp "$cp" io.convoy.notebook.ConvoyKernel "$1"
