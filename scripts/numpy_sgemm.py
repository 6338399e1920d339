#!/usr/bin/python3
"""OpenBLAS peer for Convoy's SGEMM: float32 matmul GFLOPS through Debian's numpy.

Same shapes as kernels/src/test/java/io/convoy/kernels/bench/GemmBench.java unless shapes are given
as op:m:n:k arguments (op = NN, NT, TN or TT). Set the thread count with the environment before Python
starts (numpy reads it once), for example:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/numpy_sgemm.py
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 scripts/numpy_sgemm.py --json --seconds 0.5 NN:1024:1024:1024
    /usr/bin/python3 scripts/numpy_sgemm.py --info      # one JSON line: numpy, the BLAS it loaded

--json prints one JSON object per shape (and one "info" object first) instead of the table; this is
what `bin/convoy bench` reads.

Prints which BLAS library is loaded (from /proc/self/maps) and, when OpenBLAS exposes it, the
core type (kernel) it chose, so the numbers can be reported with their configuration.
"""
import argparse
import ctypes
import json
import os
import sys
import time

import numpy as np

# (label, transA, transB, m, n, k): op(A) is m x k, op(B) is k x n, as in GemmBench.
SHAPES = [
    ("square 256", False, False, 256, 256, 256),
    ("square 512", False, False, 512, 512, 512),
    ("square 1024", False, False, 1024, 1024, 1024),
    ("square 2048", False, False, 2048, 2048, 2048),
    ("conv1 fwd NN", False, False, 32, 784, 9),
    ("conv2 fwd NN", False, False, 64, 196, 288),
    ("conv2 dW NT", False, True, 64, 288, 196),
    ("conv2 dX TN", True, False, 288, 196, 64),
    ("dense fwd NT", False, True, 128, 128, 3136),
    ("dense dX NN", False, False, 128, 3136, 128),
    ("dense dW TN", True, False, 128, 3136, 128),
]


def loaded_blas():
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = os.path.basename(path)
            if "blas" in name or "lapack" in name:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def openblas_info(libs):
    for path in libs:
        if "openblas" not in path:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        info = {}
        for fn in ("openblas_get_corename", "openblas_get_config"):
            if hasattr(lib, fn):
                getattr(lib, fn).restype = ctypes.c_char_p
                info[fn] = getattr(lib, fn)().decode()
        if hasattr(lib, "openblas_get_num_threads"):
            info["threads"] = lib.openblas_get_num_threads()
        return info
    return {}


def operand(rng, rows, cols, trans):
    # The stored matrix is cols x rows when transposed; numpy's .T is a free view, which numpy
    # hands to BLAS as a transposed operand.
    if trans:
        return rng.standard_normal((cols, rows), dtype=np.float32).T
    return rng.standard_normal((rows, cols), dtype=np.float32)


def gflops(ta, tb, m, n, k, budget=1.0):
    """Best (wall, process-CPU) GFLOPS over rounds of about 2 GFLOP each, for `budget` seconds."""
    rng = np.random.default_rng(1)
    a = operand(rng, m, k, ta)
    b = operand(rng, k, n, tb)
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b, out=c)
    reps = max(1, int(2e9 / (2.0 * m * n * k)))
    best = best_cpu = 0.0
    end = time.perf_counter() + budget
    flops = 2.0 * m * n * k * reps
    while True:
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = max(best, flops / dt / 1e9)
        best_cpu = max(best_cpu, flops / max(dc, 1e-9) / 1e9)
        if time.perf_counter() > end:
            return best, best_cpu


def blas_summary(libs, details):
    openblas = [p for p in libs if "openblas" in os.path.basename(p)]
    if openblas:
        return "OpenBLAS " + os.path.basename(openblas[0])
    if any("mkl" in p for p in libs):
        return "MKL"
    if any("blis" in p for p in libs):
        return "BLIS"
    blas = [p for p in libs if "blas" in os.path.basename(p)]
    return ("reference BLAS " + blas[0]) if blas else "none loaded"


def parse_shape(text):
    f = text.split(":")
    if len(f) != 4 or len(f[0]) != 2 or any(c not in "NT" for c in f[0]):
        raise SystemExit("numpy_sgemm.py: shape must be op:m:n:k with op in NN, NT, TN, TT, got " + text)
    return (text, f[0][0] == "T", f[0][1] == "T", int(f[1]), int(f[2]), int(f[3]))


def main():
    p = argparse.ArgumentParser(description="float32 SGEMM GFLOPS through numpy's BLAS")
    p.add_argument("shapes", nargs="*", help="op:m:n:k (default: GemmBench's shapes)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--info", action="store_true", help="only the versions and the BLAS in use (JSON)")
    p.add_argument("--seconds", type=float, default=1.0, help="time budget per shape")
    args = p.parse_args()
    # a product first, so that a lazily loaded BLAS is mapped
    np.matmul(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))
    libs = loaded_blas()
    details = openblas_info(libs)
    shapes = [parse_shape(s) for s in args.shapes] if args.shapes else SHAPES
    if args.json or args.info:
        record = {"peer": "numpy", "what": "info", "numpy": np.__version__, "python": sys.version.split()[0],
                  "blas": blas_summary(libs, details), "blas_libraries": libs}
        if "openblas_get_corename" in details:
            record["blas_core"] = details["openblas_get_corename"]
        if "threads" in details:
            record["blas_threads"] = details["threads"]
        for var in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            record[var] = os.environ.get(var)
        print(json.dumps(record), flush=True)
        if args.info:
            return
        for label, ta, tb, m, n, k in shapes:
            g, gc = gflops(ta, tb, m, n, k, args.seconds)
            op = ("T" if ta else "N") + ("T" if tb else "N")
            print(json.dumps({"peer": "numpy", "what": "sgemm", "shape": "%s:%d:%d:%d" % (op, m, n, k),
                              "label": label, "gflops": g, "cpu_gflops": gc}), flush=True)
        return
    print("numpy", np.__version__, "python", sys.version.split()[0])
    print("BLAS libraries mapped:", ", ".join(libs) or "none found")
    for key, value in details.items():
        print(f"  {key}: {value}")
    for var in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"  {var}={os.environ.get(var, '(unset)')}")
    # cpu GF/s divides by the process CPU time (all BLAS threads): with one thread it stays close to
    # the single-tenant figure when other jobs share the cores; wall GF/s is the usual figure.
    print(f"{'shape':<18} {'op':<3} {'m':>5} {'n':>5} {'k':>5} {'wall GF/s':>10} {'cpu GF/s':>10}")
    for label, ta, tb, m, n, k in shapes:
        g, gc = gflops(ta, tb, m, n, k, args.seconds)
        op = ("T" if ta else "N") + ("T" if tb else "N")
        print(f"{label:<18} {op:<3} {m:>5} {n:>5} {k:>5} {g:>10.1f} {gc:>10.1f}")


if __name__ == "__main__":
    main()
