#!/usr/bin/python3
"""PyTorch peer for Convoy's benchmarks (never a dependency of Convoy).

Trains the 2-conv reference CNN on Fashion-MNIST with the same data, batch size and optimizer as
Convoy's train job, and times each conv layer's forward, backward-data and backward-weights (+ bias) at batch 128
(best of --rounds, wall clock and process CPU time).

  /usr/bin/python3 scripts/torch_peer.py train --threads 2 --epochs 1
  /usr/bin/python3 scripts/torch_peer.py layers --threads 1      # forward / backward-data / backward-weights

Prints one JSON object per measurement on stdout.
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

DATA = "/usr/share/datasets/fashion-mnist"


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


def blas_in_use():
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    for name in ("libopenblas", "libblis", "libmkl", "libblas"):
        for line in maps.splitlines():
            if name in line:
                return line.split()[-1]
    return "none loaded"


def train(args):
    torch.manual_seed(args.seed)
    x, y = load("train", args.limit)
    xt, yt = load("test")
    mean, std = x.mean().item(), x.std().item()
    x, xt = (x - mean) / std, (xt - mean) / std
    model = ReferenceCnn()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n = x.shape[0]
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(n)
        t0 = time.perf_counter()
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
        secs = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            test_correct = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                               for i in range(0, xt.shape[0], 1000))
        print(json.dumps({"peer": "pytorch", "what": "train", "threads": torch.get_num_threads(),
                          "epoch": epoch, "loss": loss_sum / total, "train_accuracy": correct / total,
                          "test_accuracy": test_correct / xt.shape[0], "images_per_second": total / secs,
                          "seconds": secs, "blas": blas_in_use(), "torch": torch.__version__}), flush=True)


def best_of(fn, rounds, seconds):
    """Best (wall ms, process-CPU ms) per call over rounds of at least `seconds` each, after a warm-up."""
    t0, calls = time.perf_counter(), 0
    while time.perf_counter() - t0 < max(0.5, seconds) or calls < 5:
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


def layers(args):
    """Each conv layer's forward, backward-data and backward-weights (+ bias), timed separately.

    Forward runs under no_grad; the backward passes call aten::convolution_backward, the op autograd
    runs for a conv (oneDNN here), with output_mask selecting the input or the weight+bias gradient.
    conv1's backward-data is skipped: its input is the image, which needs no gradient. "fwd+bwd" is the
    autograd step conv(x).backward(g) as training runs it (includes gradient accumulation).
    CPU time is the whole process's (all intra-op threads); with 1 thread it is the thread's own.
    """
    torch.manual_seed(args.seed)
    shapes = [("conv1", 1, 32, 28), ("conv2", 32, 64, 14)]
    cb = torch.ops.aten.convolution_backward.default
    for name, cin, cout, hw in shapes:
        conv = nn.Conv2d(cin, cout, 3, padding=1)
        w, b = conv.weight.detach(), conv.bias.detach()
        inp = torch.randn(args.batch, cin, hw, hw)
        g = torch.randn(args.batch, cout, hw, hw)
        common = ([cout], [1, 1], [1, 1], [1, 1], False, [0, 0], 1)

        def fwd():
            with torch.no_grad():
                F.conv2d(inp, w, b, padding=1)

        def bwd_data():
            cb(g, inp, w, *common, [True, False, False])

        def bwd_weights():
            cb(g, inp, w, *common, [False, True, True])

        inp_rg = inp.clone().requires_grad_(cin > 1)

        def step():
            conv(inp_rg).backward(g)

        passes = [("forward", fwd)]
        if cin > 1:
            passes.append(("backward-data", bwd_data))
        passes += [("backward-weights", bwd_weights), ("fwd+bwd autograd", step)]
        total_wall = total_cpu = 0.0
        for what, fn in passes:
            wall, cpu = best_of(fn, args.rounds, args.seconds)
            if what != "fwd+bwd autograd":
                total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(json.dumps({"peer": "pytorch", "what": "layer", "layer": name, "pass": what,
                              "batch": args.batch, "threads": torch.get_num_threads(),
                              "ms": wall, "cpu_ms": cpu, "images_per_second": args.batch / wall * 1e3}),
                  flush=True)
        print(json.dumps({"peer": "pytorch", "what": "layer", "layer": name, "pass": "fwd+bwd (sum)",
                          "batch": args.batch, "threads": torch.get_num_threads(), "ms": total_wall,
                          "cpu_ms": total_cpu, "images_per_second": args.batch / total_wall * 1e3,
                          "torch": torch.__version__, "mkldnn": torch._C._get_mkldnn_enabled()}),
              flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "layers"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, default=0.5, help="layers: seconds per timed round")
    p.add_argument("--rounds", type=int, default=10, help="layers: timed rounds, the best is reported")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    {"train": train, "layers": layers}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
