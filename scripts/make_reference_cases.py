#!/usr/bin/env python3
"""Writes Convoy's own PyTorch reference cases for the conv layers of the reference models.

The shared cases (../shared/reference/dev, dev-extra) predate the specialised conv kernels; these
add one case per layer shape those kernels were written for, so each is checked against PyTorch
directly (kernels/src/test/.../ConvPoolReferenceTest reads this folder after the shared ones):

  - LeNet-5's conv2 (6 -> 16, 5x5, no padding, 14x14): output channels in the lanes (ChannelVectorConv)
    and row-at-a-time backward-data (DirectConvRows);
  - a one-channel first layer (1 -> 16, 3x3, padding 1, 28x28): ShiftedPlaneConv / ShiftedPlaneGrad;
  - a Winograd layer with 16-channel blocks on both sides (16 -> 32, 3x3, padding 1, 14x14): the
    in-register transposes of WinogradConv.

Same format and conventions as ../shared/reference/README.md: PyTorch in double precision, stored
rounded to float32, grad_<x> the gradient of sum(output * grad_output). A benchmark and test peer
only: run it by hand when the cases change, never from the build.

  /usr/bin/python3 scripts/make_reference_cases.py [output folder]
  (default: kernels/src/test/resources/reference-convoy)
"""
import json
import os
import sys

import numpy as np
import torch

SEED = 20261126

# (N, C, H, W, K, R, S, stride, padding)
CONV_CASES = [
    (2, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0)),
    (1, 1, 28, 28, 16, 3, 3, (1, 1), (1, 1)),
    (1, 16, 14, 14, 32, 3, 3, (1, 1), (1, 1)),
]


def tensor(t):
    a = t.detach().to(torch.float32).numpy()
    # 9 significant digits round-trip a float32 exactly
    return {"shape": list(a.shape), "data": [float("%.9g" % x) for x in a.reshape(-1)]}


def conv_case(gen, n, c, h, w, k, r, s, stride, padding):
    x = torch.randn(n, c, h, w, dtype=torch.float64, generator=gen).requires_grad_()
    bound = 1.0 / (c * r * s) ** 0.5
    weight = ((torch.rand(k, c, r, s, dtype=torch.float64, generator=gen) * 2 - 1) * bound).requires_grad_()
    bias = ((torch.rand(k, dtype=torch.float64, generator=gen) * 2 - 1) * bound).requires_grad_()
    out = torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=padding)
    grad_out = torch.randn(out.shape, dtype=torch.float64, generator=gen)
    (out * grad_out).sum().backward()
    name = f"N{n}C{c}H{h}W{w}K{k}R{r}S{s}s{list(stride)}p{list(padding)}"
    return {"name": name, "params": {"stride": list(stride), "padding": list(padding)},
            "tensors": {"input": tensor(x), "weight": tensor(weight), "bias": tensor(bias), "output": tensor(out),
                        "grad_output": tensor(grad_out), "grad_input": tensor(x.grad),
                        "grad_weight": tensor(weight.grad), "grad_bias": tensor(bias.grad)}}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "kernels", "src", "test", "resources",
                                                                  "reference-convoy")
    os.makedirs(out_dir, exist_ok=True)
    gen = torch.Generator().manual_seed(SEED)
    cases = [conv_case(gen, *spec) for spec in CONV_CASES]
    doc = {"op": "conv2d", "torch": torch.__version__, "seed": SEED, "cases": cases}
    path = os.path.join(out_dir, "conv2d.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
