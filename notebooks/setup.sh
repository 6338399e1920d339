#!/usr/bin/env bash
# Sets up everything the notebooks need, inside the project (nothing is installed into ~/.local/share/jupyter):
#   1. Jupyter from Debian's packages (nbconvert, nbclient, ipykernel, nbformat), unless already there;
#   2. builds Convoy (kernels, pipeline, jobs) and lists its third-party jars, Spark and Hadoop included;
#   3. builds the Java kernel in notebooks/kernel (JShell + org.dflib.jjava:jjava-jupyter + JFreeChart);
#   4. writes the kernel spec notebooks/kernel/$CONVOY_TARGET/jupyter/kernels/convoy-java/kernel.json.
# Then: export JUPYTER_PATH=$PWD/notebooks/kernel/target/jupyter and run `jupyter notebook notebooks/` or
# `jupyter nbconvert --to notebook --execute notebooks/01-convolution-by-hand.ipynb`.
# Environment: CONVOY_TARGET (Maven build folder, default target), CONVOY_NB_SKIP_APT=1 (do not apt-get),
# CONVOY_NB_SKIP_CONVOY=1 (only the kernel and the spec: the tests bring Convoy's class path themselves),
# CONVOY_MVN_OFFLINE=1 (mvn -o).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${CONVOY_TARGET:-target}"
out="$here/kernel/$build"
mvn_flags=(-q -B -Dconvoy.target="$build")
[[ -n "${CONVOY_MVN_OFFLINE:-}" ]] && mvn_flags+=(-o)

# Debian's python (/usr/bin/python3), whatever python3 comes first on the PATH.
if [[ -z "${CONVOY_NB_SKIP_APT:-}" ]] && ! (jupyter nbconvert --version >/dev/null 2>&1 \
    && /usr/bin/python3 -c 'import nbclient, nbformat, ipykernel' 2>/dev/null); then
  echo "notebooks: installing Jupyter from Debian's packages..." >&2
  sudo_cmd=()
  [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
    jupyter-nbconvert python3-nbclient python3-ipykernel python3-nbformat >&2
fi

mkdir -p "$out"
if [[ -z "${CONVOY_NB_SKIP_CONVOY:-}" ]]; then
  echo "notebooks: building Convoy and its class path..." >&2
  (cd "$root" && mvn "${mvn_flags[@]}" -DskipTests -pl jobs -am package dependency:build-classpath \
      -DincludeScope=test -DexcludeGroupIds=io.convoy,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
      -Dmdep.outputFile="$out/convoy-classpath.txt") >&2
fi

echo "notebooks: building the Java kernel..." >&2
(cd "$here/kernel" && mvn "${mvn_flags[@]}" package dependency:build-classpath -Dmdep.outputFile="$out/kernel-classpath.txt") >&2

spec="$out/jupyter/kernels/convoy-java"
mkdir -p "$spec"
cat > "$spec/kernel.json" <<JSON
{
  "argv": ["bash", "$here/kernel/run-kernel.sh", "{connection_file}"],
  "display_name": "Java (Convoy)",
  "language": "java",
  "interrupt_mode": "message",
  "env": {"CONVOY_TARGET": "$build"}
}
JSON
echo "notebooks: kernel spec written to $spec/kernel.json" >&2
echo "notebooks: export JUPYTER_PATH=$out/jupyter" >&2
