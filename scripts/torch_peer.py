#!/usr/bin/python3
"""PyTorch peer for Convoy's benchmarks (never a dependency of Convoy).

Runs the same models, data, batch sizes and optimizer as Convoy and prints one JSON object per
measurement on stdout (`bin/convoy bench` reads them):

  /usr/bin/python3 scripts/torch_peer.py info                     # versions and the BLAS in use
  /usr/bin/python3 scripts/torch_peer.py train --threads 2 --epochs 1
  /usr/bin/python3 scripts/torch_peer.py layers --threads 1       # every layer of the reference CNN
  /usr/bin/python3 scripts/torch_peer.py layers --model lenet5 --threads 2
  /usr/bin/python3 scripts/torch_peer.py predict --threads 2      # inference on the 10,000 test images

train: the 2-conv reference CNN on Fashion-MNIST, Adam, images/s per epoch and test accuracy.
layers: each layer's forward, backward-data and backward-weights (+ bias) at --batch, best of --rounds
(wall clock and process CPU time), then the whole training step (forward, loss, backward).
predict: read the test set, normalise, forward in batches of --batch, softmax and argmax, write a CSV
(index, label, predicted, p0..p9) like Convoy's predict job; best of --repeats after one warm-up.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("CONVOY_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic = struct.unpack(">I", raw[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split, limit=None):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, prefix + "-labels-idx1-ubyte.gz"))
    if limit:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(y.astype(np.int64))


class ReferenceCnn(nn.Module):
    """conv32 3x3 p1, relu, maxpool 2, conv64 3x3 p1, relu, maxpool 2, dense 128, relu, dropout .25, dense 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.drop(F.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


class LeNet5(nn.Module):
    """Convoy's ModelSpec.lenet5(): 3x32x32, conv6 5x5, tanh, avgpool 2, conv16 5x5, tanh, avgpool 2, 120, 84, 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = torch.tanh(self.fc1(torch.flatten(x, 1)))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


# Layer tables in Convoy's names and order (flatten is a view on both sides and is left out):
# (name, kind, args, input shape (C, H, W) or (features,)).
MODELS = {
    "reference-cnn": ((1, 28, 28), [
        ("conv1", "conv", dict(cin=1, cout=32, k=3, pad=1), (1, 28, 28)),
        ("relu1", "relu", {}, (32, 28, 28)),
        ("pool1", "maxpool", dict(k=2), (32, 28, 28)),
        ("conv2", "conv", dict(cin=32, cout=64, k=3, pad=1), (32, 14, 14)),
        ("relu2", "relu", {}, (64, 14, 14)),
        ("pool2", "maxpool", dict(k=2), (64, 14, 14)),
        ("fc1", "dense", dict(fin=3136, fout=128), (3136,)),
        ("relu3", "relu", {}, (128,)),
        ("dropout", "dropout", dict(p=0.25), (128,)),
        ("fc2", "dense", dict(fin=128, fout=10), (128,)),
    ], ReferenceCnn),
    "lenet5": ((3, 32, 32), [
        ("conv1", "conv", dict(cin=3, cout=6, k=5, pad=0), (3, 32, 32)),
        ("tanh1", "tanh", {}, (6, 28, 28)),
        ("pool1", "avgpool", dict(k=2), (6, 28, 28)),
        ("conv2", "conv", dict(cin=6, cout=16, k=5, pad=0), (6, 14, 14)),
        ("tanh2", "tanh", {}, (16, 10, 10)),
        ("pool2", "avgpool", dict(k=2), (16, 10, 10)),
        ("fc1", "dense", dict(fin=400, fout=120), (400,)),
        ("tanh3", "tanh", {}, (120,)),
        ("fc2", "dense", dict(fin=120, fout=84), (120,)),
        ("tanh4", "tanh", {}, (84,)),
        ("fc3", "dense", dict(fin=84, fout=10), (84,)),
    ], LeNet5),
}


def blas_in_use():
    """The BLAS library mapped into this process (after a product ran), and OpenBLAS's kernel name."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = os.path.basename(path)
                if ("blas" in name or "mkl" in name or "blis" in name) and path not in libs:
                    libs.append(path)
    except OSError:
        return {"blas": "unknown", "blas_libraries": []}
    real = [os.path.realpath(p) for p in libs]
    info = {"blas_libraries": real}
    openblas = [p for p in real if "openblas" in p]
    if openblas:
        info["blas"] = "OpenBLAS " + os.path.basename(openblas[0])
        try:
            import ctypes
            lib = ctypes.CDLL(openblas[0])
            if hasattr(lib, "openblas_get_corename"):
                lib.openblas_get_corename.restype = ctypes.c_char_p
                info["blas_core"] = lib.openblas_get_corename().decode()
        except OSError:
            pass
    elif any("mkl" in p for p in real):
        info["blas"] = "MKL"
    elif any("blis" in p for p in real):
        info["blas"] = "BLIS"
    elif real:
        info["blas"] = "reference BLAS " + real[0]
    else:
        info["blas"] = "none loaded"
    return info


def emit(record):
    print(json.dumps(record), flush=True)


def info(args):
    record = {"peer": "pytorch", "what": "info", "torch": torch.__version__, "numpy": np.__version__,
              "python": sys.version.split()[0], "threads": torch.get_num_threads(),
              "mkldnn": torch.backends.mkldnn.is_available()}
    record.update(blas_in_use())
    emit(record)


def train(args):
    torch.manual_seed(args.seed)
    x, y = load("train", args.limit)
    xt, yt = load("test", args.test_limit)
    mean, std = x.mean().item(), x.std().item()
    x, xt = (x - mean) / std, (xt - mean) / std
    model = ReferenceCnn()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n = x.shape[0]
    blas = blas_in_use()
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(n)
        t0, c0 = time.perf_counter(), time.process_time()
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            total += len(idx)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        model.eval()
        with torch.no_grad():
            test_correct = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                               for i in range(0, xt.shape[0], 1000))
        emit({"peer": "pytorch", "what": "train", "threads": torch.get_num_threads(),
              "epoch": epoch, "loss": loss_sum / total, "train_accuracy": correct / total,
              "test_accuracy": test_correct / xt.shape[0], "test_images": xt.shape[0],
              "images": total, "images_per_second": total / secs, "seconds": secs, "cpu_seconds": cpu,
              "blas": blas["blas"], "torch": torch.__version__})


def best_of(fn, rounds, seconds, warm_up=0.2):
    """Best (wall ms, process-CPU ms) per call over rounds of at least `seconds` each, after a warm-up."""
    t0, calls = time.perf_counter(), 0
    while time.perf_counter() - t0 < max(warm_up, seconds) or calls < 3:
        fn()
        calls += 1
    reps = max(1, int(seconds / ((time.perf_counter() - t0) / calls)))
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(reps):
            fn()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        best_wall, best_cpu = min(best_wall, w / reps), min(best_cpu, c / reps)
    return best_wall * 1e3, best_cpu * 1e3


def layer_passes(kind, a, inp, g, first):
    """(pass name, function) pairs for one layer: the ops autograd runs for it, called directly.

    Forward runs under no_grad; backward-data is the input gradient (absent for the model's first layer,
    whose input is the image); backward-weights the weight and bias gradients.
    """
    passes = []
    nograd = torch.no_grad
    if kind == "conv":
        conv = nn.Conv2d(a["cin"], a["cout"], a["k"], padding=a["pad"])
        w, b = conv.weight.detach(), conv.bias.detach()
        cb = torch.ops.aten.convolution_backward.default
        common = ([a["cout"]], [1, 1], [a["pad"], a["pad"]], [1, 1], False, [0, 0], 1)

        def fwd():
            with nograd():
                F.conv2d(inp, w, b, padding=a["pad"])
        passes.append(("forward", fwd))
        if not first:
            passes.append(("backward-data", lambda: cb(g, inp, w, *common, [True, False, False])))
        passes.append(("backward-weights", lambda: cb(g, inp, w, *common, [False, True, True])))
    elif kind == "dense":
        lin = nn.Linear(a["fin"], a["fout"])
        w, b = lin.weight.detach(), lin.bias.detach()

        def fwd():
            with nograd():
                F.linear(inp, w, b)

        def bwd_weights():
            with nograd():
                g.t().mm(inp)
                g.sum(0)
        passes.append(("forward", fwd))
        if not first:
            passes.append(("backward-data", lambda: g.mm(w)))
        passes.append(("backward-weights", bwd_weights))
    elif kind in ("relu", "tanh"):
        with nograd():
            y = F.relu(inp) if kind == "relu" else torch.tanh(inp)
        if kind == "relu":
            passes.append(("forward", lambda: F.relu(inp)))
            passes.append(("backward-data", lambda: torch.ops.aten.threshold_backward(g, y, 0)))
        else:
            passes.append(("forward", lambda: torch.tanh(inp)))
            passes.append(("backward-data", lambda: torch.ops.aten.tanh_backward(g, y)))
    elif kind == "maxpool":
        k = [a["k"], a["k"]]
        _, idx = torch.ops.aten.max_pool2d_with_indices(inp, k, k)
        passes.append(("forward", lambda: torch.ops.aten.max_pool2d_with_indices(inp, k, k)))
        passes.append(("backward-data", lambda: torch.ops.aten.max_pool2d_with_indices_backward(
            g, inp, k, k, [0, 0], [1, 1], False, idx)))
    elif kind == "avgpool":
        k = [a["k"], a["k"]]
        passes.append(("forward", lambda: F.avg_pool2d(inp, a["k"])))
        passes.append(("backward-data", lambda: torch.ops.aten.avg_pool2d_backward(
            g, inp, k, k, [0, 0], False, True, None)))
    elif kind == "dropout":
        p = a["p"]
        _, mask = torch.ops.aten.native_dropout(inp, p, True)
        passes.append(("forward", lambda: torch.ops.aten.native_dropout(inp, p, True)))
        passes.append(("backward-data", lambda: torch.ops.aten.native_dropout_backward(g, mask, 1.0 / (1 - p))))
    else:
        raise ValueError("unknown layer kind " + kind)
    return passes


def out_shape(kind, a, shape):
    if kind == "conv":
        h = shape[1] + 2 * a["pad"] - a["k"] + 1
        return (a["cout"], h, h)
    if kind in ("maxpool", "avgpool"):
        return (shape[0], shape[1] // a["k"], shape[2] // a["k"])
    if kind == "dense":
        return (a["fout"],)
    return shape


def layers(args):
    """Every layer of --model: forward, backward-data and backward-weights (+ bias), timed separately,
    then the whole training step. CPU time is the whole process's (all intra-op threads)."""
    torch.manual_seed(args.seed)
    _, table, cls = MODELS[args.model]
    threads = torch.get_num_threads()
    wanted = set(args.layer or [])
    for i, (name, kind, a, shape) in enumerate(table):
        if wanted and name not in wanted:
            continue
        inp = torch.randn(args.batch, *shape)
        g = torch.randn(args.batch, *out_shape(kind, a, shape))
        for what, fn in layer_passes(kind, a, inp, g, i == 0):
            wall, cpu = best_of(fn, args.rounds, args.seconds, args.warm_up)
            emit({"peer": "pytorch", "what": "layer", "model": args.model, "layer": name, "kind": kind,
                  "pass": what, "batch": args.batch, "threads": threads, "ms": wall, "cpu_ms": cpu})
    if not wanted:
        model = cls()
        model.train()
        x = torch.randn(args.batch, *MODELS[args.model][0])
        y = torch.randint(0, 10, (args.batch,))

        def step():
            model.zero_grad(set_to_none=False)
            F.cross_entropy(model(x), y).backward()
        wall, cpu = best_of(step, args.rounds, args.seconds, args.warm_up)
        emit({"peer": "pytorch", "what": "step", "model": args.model, "batch": args.batch, "threads": threads,
              "ms": wall, "cpu_ms": cpu, "torch": torch.__version__})


def predict(args):
    """Inference as a job: read and normalise the test set, forward, softmax, argmax, write a CSV."""
    torch.manual_seed(args.seed)
    model = ReferenceCnn()
    if args.weights:
        model.load_state_dict(torch.load(args.weights))
    model.eval()
    out_path = args.output or os.devnull

    def run():
        x, y = load("test", args.limit)
        x = (x - args.mean) / args.std
        rows = []
        with torch.no_grad():
            for i in range(0, x.shape[0], args.batch):
                p = F.softmax(model(x[i:i + args.batch]), dim=1)
                rows.append(p.numpy())
        probs = np.concatenate(rows)
        pred = probs.argmax(1)
        table = np.column_stack([np.arange(len(pred)), y.numpy(), pred, probs])
        fmt = ["%d", "%d", "%d"] + ["%.6g"] * probs.shape[1]
        header = "index,label,predicted," + ",".join("p%d" % c for c in range(probs.shape[1]))
        np.savetxt(out_path, table, fmt=fmt, delimiter=",", header=header, comments="")
        return len(pred)

    t0 = time.perf_counter()
    n = run()
    cold = time.perf_counter() - t0
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(args.repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        run()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    emit({"peer": "pytorch", "what": "predict", "threads": torch.get_num_threads(), "images": n,
          "batch": args.batch, "seconds": best_wall, "cpu_seconds": best_cpu, "first_seconds": cold,
          "images_per_second": n / best_wall, "torch": torch.__version__})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["info", "train", "layers", "predict"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=int, default=None, help="train/predict: use the first N records only")
    p.add_argument("--test-limit", type=int, default=None, help="train: test on the first N test records only")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", choices=sorted(MODELS), default="reference-cnn", help="layers: which model")
    p.add_argument("--layer", action="append", help="layers: only these layers (repeatable)")
    p.add_argument("--seconds", type=float, default=0.5, help="layers: seconds per timed round")
    p.add_argument("--rounds", type=int, default=10, help="layers: timed rounds, the best is reported")
    p.add_argument("--warm-up", type=float, default=0.2, help="layers: seconds of warm-up before timing")
    p.add_argument("--repeats", type=int, default=3, help="predict: timed repeats after a warm-up")
    p.add_argument("--mean", type=float, default=0.2860, help="predict: normalisation mean (pixel / 255)")
    p.add_argument("--std", type=float, default=0.3530, help="predict: normalisation std")
    p.add_argument("--weights", default=None, help="predict: a state_dict file (default: random init)")
    p.add_argument("--output", default=None, help="predict: CSV path (default: /dev/null)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    {"info": info, "train": train, "layers": layers, "predict": predict}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
