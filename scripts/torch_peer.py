#!/usr/bin/python3
"""PyTorch peer for Convoy's benchmarks (never a dependency of Convoy).

Trains the 2-conv reference CNN on Fashion-MNIST with the same data, batch size and optimizer as
Convoy's train job, and times each conv layer's forward + backward at batch 128.

  /usr/bin/python3 scripts/torch_peer.py train --threads 2 --epochs 1
  /usr/bin/python3 scripts/torch_peer.py layers --threads 1

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


def layers(args):
    torch.manual_seed(args.seed)
    shapes = [("conv1", 1, 32, 28), ("conv2", 32, 64, 14)]
    for name, cin, cout, hw in shapes:
        conv = nn.Conv2d(cin, cout, 3, padding=1)
        inp = torch.randn(args.batch, cin, hw, hw, requires_grad=(cin > 1))
        g = torch.randn(args.batch, cout, hw, hw)
        for _ in range(3):
            conv(inp).backward(g)
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            conv.zero_grad()
            conv(inp).backward(g)
            reps += 1
        secs = (time.perf_counter() - t0) / reps
        print(json.dumps({"peer": "pytorch", "what": "layer_fwd_bwd", "layer": name, "batch": args.batch,
                          "threads": torch.get_num_threads(), "ms": secs * 1e3,
                          "images_per_second": args.batch / secs, "blas": blas_in_use()}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "layers"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, default=3.0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    {"train": train, "layers": layers}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
