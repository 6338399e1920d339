#!/usr/bin/env python3
"""Writes Convoy's PyTorch reference cases: one JSON file per operation, plus a README.md that says
how they were made and what each file holds.

Every op the reference tests run is covered here (ConvPoolReferenceTest, ElementwiseReferenceCasesTest,
Conv2dTransposeTest and BatchNormTest in kernels, ReferenceCasesTest and OptimizerTest in pipeline), so
a clone needs nothing outside the repository. Inputs are drawn in float32 from a seeded generator
(re-seeded for each op, so changing one op's cases leaves the other files as they are); PyTorch then
computes in double precision from exactly those float32 values, and results are stored rounded to
float32 in the shortest decimal form that reads back as the same float32. A test peer only: run it
by hand when the cases change, never from the build.

  /usr/bin/python3 scripts/make_reference_cases.py [output folder]
  (default: kernels/src/test/resources/reference)
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261207
DEFAULT_OUT = os.path.join("kernels", "src", "test", "resources", "reference")


def tensor(t):
    a = t.detach().to(torch.float32).numpy().reshape(-1)
    # str() of a numpy float32 is the shortest decimal that reads back as the same float32 (<= 9 digits)
    return {"shape": list(t.shape), "data": [float(str(v)) for v in a]}


class Gen:
    """Seeded float32 draws, returned as float64 tensors holding exactly those float32 values."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return (torch.randn(*shape, generator=self.g, dtype=torch.float32) * scale).double()

    def uniform(self, *shape, lo=-1.0, hi=1.0):
        u = torch.rand(*shape, generator=self.g, dtype=torch.float32)
        return (u * (hi - lo) + lo).to(torch.float32).double()

    def ints(self, n, high):
        return torch.randint(0, high, (n,), generator=self.g)


def case(name, params, **tensors):
    return {"name": name, "params": params, "tensors": {k: tensor(v) for k, v in tensors.items()}}


def grads_of(out, *inputs, gen):
    """grad_output and the gradients of sum(output * grad_output) with respect to inputs."""
    g_out = gen.randn(*out.shape)
    grads = torch.autograd.grad((out * g_out).sum(), inputs)
    return g_out, grads


# ---- convolution ----

# (N, C, H, W, K, R, S, stride, padding): small, strided, padded, 1x1, non-square, floored and 28x28 shapes, and
# the layer shapes the specialised kernels serve (Winograd >= 8 channels, direct conv, channel-vector LeNet-5
# conv2, shifted planes of a one-channel 3x3 first layer, LeNet-5's conv1)
CONV = [
    (2, 1, 6, 6, 2, 3, 3, (1, 1), (0, 0)),
    (2, 3, 7, 5, 4, 3, 3, (2, 2), (1, 1)),
    (1, 4, 5, 5, 3, 1, 1, (1, 1), (0, 0)),
    (3, 2, 9, 8, 5, 5, 5, (1, 1), (2, 2)),
    (2, 3, 8, 8, 4, 3, 2, (2, 1), (1, 0)),     # floored: PyTorch drops the last row, Convoy rejects the shape
    (2, 3, 8, 8, 4, 3, 3, (1, 1), (1, 1)),
    (2, 3, 9, 7, 6, 3, 3, (2, 2), (1, 1)),
    (3, 5, 6, 5, 8, 1, 1, (1, 1), (0, 0)),
    (1, 3, 11, 13, 5, 5, 3, (2, 1), (2, 1)),
    (2, 4, 10, 6, 4, 1, 1, (2, 2), (0, 0)),
    (2, 5, 9, 11, 7, 3, 3, (1, 1), (1, 1)),
    (2, 1, 28, 28, 8, 3, 3, (1, 1), (0, 0)),
    (1, 1, 28, 28, 16, 3, 3, (1, 1), (1, 1)),
    (2, 8, 14, 14, 16, 3, 3, (1, 1), (1, 1)),
    (1, 16, 14, 14, 32, 3, 3, (1, 1), (1, 1)),
    (2, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0)),
    (1, 3, 32, 32, 6, 5, 5, (1, 1), (0, 0)),
]

# transposed conv, given as the conv it transposes (N, C, H, W, K, R, S, stride, padding): input (N, K, P, Q),
# weight (K, C, R, S), output (N, C, H, W). Only shapes whose conv tiles exactly (output_padding 0).
CONV_TRANSPOSE = [
    (2, 3, 7, 5, 4, 3, 3, (2, 2), (1, 1)),
    (1, 2, 4, 6, 3, 1, 1, (1, 1), (0, 0)),
    (2, 2, 5, 7, 3, 2, 3, (1, 2), (0, 1)),
    (2, 3, 6, 5, 4, 3, 3, (1, 1), (1, 1)),
    (1, 8, 5, 6, 9, 3, 3, (1, 1), (1, 1)),
    (2, 3, 14, 14, 4, 2, 2, (2, 2), (0, 0)),
    (1, 3, 10, 10, 6, 4, 4, (2, 2), (1, 1)),
]


def conv2d(gen):
    out = []
    for n, c, h, w, k, r, s, stride, pad in CONV:
        bound = 1.0 / (c * r * s) ** 0.5
        x = gen.randn(n, c, h, w).requires_grad_()
        wt = gen.uniform(k, c, r, s, lo=-bound, hi=bound).requires_grad_()
        b = gen.uniform(k, lo=-bound, hi=bound).requires_grad_()
        y = F.conv2d(x, wt, b, stride=stride, padding=pad)
        g_out, (gx, gw, gb) = grads_of(y, x, wt, b, gen=gen)
        out.append(case(f"N{n}C{c}H{h}W{w}K{k}R{r}S{s}s{list(stride)}p{list(pad)}",
                        {"stride": list(stride), "padding": list(pad)},
                        input=x, weight=wt, bias=b, output=y, grad_output=g_out, grad_input=gx, grad_weight=gw,
                        grad_bias=gb))
    return out


def conv_transpose2d(gen):
    out = []
    for n, c, h, w, k, r, s, stride, pad in CONV_TRANSPOSE:
        p = (h + 2 * pad[0] - r) // stride[0] + 1
        q = (w + 2 * pad[1] - s) // stride[1] + 1
        bound = 1.0 / (c * r * s) ** 0.5
        x = gen.randn(n, k, p, q).requires_grad_()
        wt = gen.uniform(k, c, r, s, lo=-bound, hi=bound).requires_grad_()
        b = gen.uniform(c, lo=-bound, hi=bound).requires_grad_()
        y = F.conv_transpose2d(x, wt, b, stride=stride, padding=pad)
        assert list(y.shape) == [n, c, h, w], (y.shape, (n, c, h, w))
        g_out, (gx, gw, gb) = grads_of(y, x, wt, b, gen=gen)
        out.append(case(f"N{n}K{k}P{p}Q{q}_to_C{c}H{h}W{w}R{r}S{s}s{list(stride)}p{list(pad)}",
                        {"stride": list(stride), "padding": list(pad), "output_padding": [0, 0]},
                        input=x, weight=wt, bias=b, output=y, grad_output=g_out, grad_input=gx, grad_weight=gw,
                        grad_bias=gb))
    return out


# ---- pooling and dense ----

# (N, C, H, W, kernel, stride); (1, 4, 7, 9) with 2x2 stride 2 is floored
POOL = [
    (2, 3, 6, 6, (2, 2), (2, 2)),
    (1, 2, 7, 5, (3, 3), (2, 2)),
    (2, 1, 4, 4, (2, 2), (1, 1)),
    (2, 3, 8, 8, (2, 2), (2, 2)),
    (1, 4, 7, 9, (2, 2), (2, 2)),
    (2, 3, 6, 7, (2, 3), (2, 1)),
    (1, 2, 9, 9, (3, 3), (3, 3)),
    (2, 2, 28, 28, (2, 2), (2, 2)),
    (2, 8, 14, 14, (2, 2), (2, 2)),
]


def pool(fn):
    def make(gen):
        out = []
        for n, c, h, w, kernel, stride in POOL:
            x = gen.randn(n, c, h, w).requires_grad_()
            y = fn(x, kernel, stride)
            g_out, (gx,) = grads_of(y, x, gen=gen)
            out.append(case(f"N{n}C{c}H{h}W{w}k{list(kernel)}s{list(stride)}",
                            {"kernel": list(kernel), "stride": list(stride)},
                            input=x, output=y, grad_output=g_out, grad_input=gx))
        return out
    return make


# (N, in, out): the reference CNN's fc1 input (64 x 7 x 7 = 3136) and the small CNN's (16 x 13 x 13 = 2704)
DENSE = [(4, 5, 3), (7, 16, 10), (4, 7, 3), (5, 1, 2), (3, 37, 9), (16, 128, 10), (2, 3136, 6), (2, 2704, 4)]


def dense(gen):
    out = []
    for n, fan_in, fan_out in DENSE:
        bound = 1.0 / fan_in ** 0.5
        x = gen.randn(n, fan_in).requires_grad_()
        wt = gen.uniform(fan_out, fan_in, lo=-bound, hi=bound).requires_grad_()
        b = gen.uniform(fan_out, lo=-bound, hi=bound).requires_grad_()
        y = F.linear(x, wt, b)
        g_out, (gx, gw, gb) = grads_of(y, x, wt, b, gen=gen)
        out.append(case(f"N{n}in{fan_in}out{fan_out}", {}, input=x, weight=wt, bias=b, output=y,
                        grad_output=g_out, grad_input=gx, grad_weight=gw, grad_bias=gb))
    return out


# ---- activations and losses ----

# (shape, input scale, params); 2 x 3 x 5 x 7 = 210 values leaves a tail for 8- and 16-lane vectors
ACTIVATIONS = {
    "relu": [([3, 10], 2.0, {}), ([2, 3, 5, 7], 1.0, {}), ([1, 37], 1.0, {})],
    "leaky_relu": [([3, 10], 2.0, {"negative_slope": 0.01}), ([2, 3, 5, 7], 1.0, {"negative_slope": 0.2})],
    "elu": [([3, 10], 2.0, {"alpha": 1.0}), ([2, 3, 5, 7], 1.5, {"alpha": 0.5})],
    "sigmoid": [([3, 10], 2.0, {}), ([2, 3, 5, 7], 5.0, {})],
    "tanh": [([3, 10], 2.0, {}), ([2, 3, 5, 7], 4.0, {})],
    "softmax": [([3, 10], 2.0, {"dim": 1}), ([4, 37], 1.0, {"dim": 1}), ([5, 10], 20.0, {"dim": 1})],
}

ACTIVATION_FN = {
    "relu": lambda x, p: F.relu(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, p["negative_slope"]),
    "elu": lambda x, p: F.elu(x, p["alpha"]),
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "tanh": lambda x, p: torch.tanh(x),
    "softmax": lambda x, p: F.softmax(x, dim=p["dim"]),
}


def activation(op):
    def make(gen):
        out = []
        for shape, scale, params in ACTIVATIONS[op]:
            x = gen.randn(*shape, scale=scale).requires_grad_()
            y = ACTIVATION_FN[op](x, params)
            g_out, (gx,) = grads_of(y, x, gen=gen)
            name = f"{op}_{'x'.join(map(str, shape))}_scale{scale:g}"
            out.append(case(name, params, input=x, output=y, grad_output=g_out, grad_input=gx))
        return out
    return make


def softmax_cross_entropy(gen):
    out = []
    # (N, K, logit scale): scales 30 and 40 check the numerical stability of large logits
    for n, k, scale in [(6, 10, 1.0), (4, 10, 1.0), (16, 10, 3.0), (3, 37, 2.0), (8, 5, 30.0), (8, 10, 40.0)]:
        logits = gen.randn(n, k, scale=scale).requires_grad_()
        labels = gen.ints(n, k)
        loss = F.cross_entropy(logits, labels, reduction="mean")
        (g,) = torch.autograd.grad(loss, (logits,))
        out.append(case(f"N{n}K{k}scale{scale:g}", {"reduction": "mean"}, logits=logits,
                        labels=labels.double(), loss=loss.reshape(1), grad_logits=g))
    return out


def binary_cross_entropy(gen):
    out = []
    # (shape, soft targets): inputs are probabilities sigmoid(2 z); targets 0/1, or any value in [0, 1]
    for shape, soft in [([6, 10], False), ([1, 37], False), ([4, 5], True)]:
        x = torch.sigmoid(gen.randn(*shape, scale=2.0)).to(torch.float32).double().requires_grad_()
        u = gen.uniform(*shape, lo=0.0, hi=1.0)
        target = u if soft else (u < 0.5).double()
        loss = F.binary_cross_entropy(x, target, reduction="mean")
        (g,) = torch.autograd.grad(loss, (x,))
        name = "x".join(map(str, shape)) + ("_soft" if soft else "")
        out.append(case(name, {"reduction": "mean"}, input=x, target=target, loss=loss.reshape(1), grad_input=g))
    return out


def mse(gen):
    out = []
    for shape in [[6, 10], [37], [2, 3, 5, 7]]:
        x = gen.randn(*shape).requires_grad_()
        target = gen.randn(*shape)
        loss = F.mse_loss(x, target, reduction="mean")
        (g,) = torch.autograd.grad(loss, (x,))
        out.append(case("x".join(map(str, shape)), {"reduction": "mean"}, input=x, target=target, loss=loss.reshape(1),
                        grad_input=g))
    return out


# ---- batch norm ----

# (N, C, H, W, eps, momentum, training); 8 x 4 x 1 x 1 is BatchNorm1d's case (one value per image and channel)
BATCHNORM = [
    (4, 3, 5, 5, 1e-5, 0.1, True),
    (2, 8, 7, 7, 1e-3, 0.3, True),
    (8, 4, 1, 1, 1e-5, 0.1, True),
    (2, 3, 5, 5, 1e-5, 0.1, False),
    (3, 8, 4, 4, 1e-3, 0.1, False),
]


def batchnorm2d(gen):
    out = []
    for n, c, h, w, eps, momentum, training in BATCHNORM:
        x = gen.randn(n, c, h, w, scale=1.5).requires_grad_()
        gamma = (1.0 + gen.randn(c, scale=0.2)).to(torch.float32).double().requires_grad_()
        beta = gen.randn(c, scale=0.1).requires_grad_()
        if training:
            # training mode: batch statistics; the running ones start at 0 and 1 and are updated in place
            run_mean = torch.zeros(c, dtype=torch.float64)
            run_var = torch.ones(c, dtype=torch.float64)
        else:
            # eval mode: normalised with running statistics that are not the batch's
            run_mean = gen.randn(c, scale=0.5)
            run_var = gen.uniform(c, lo=0.5, hi=2.0)
        used_mean, used_var = run_mean.clone(), run_var.clone()
        y = F.batch_norm(x, run_mean, run_var, gamma, beta, training, momentum, eps)
        params = {"eps": eps, "momentum": momentum, "training": training}
        name = f"N{n}C{c}H{h}W{w}" + ("" if training else "eval")
        if training:
            g_out, (gx, gg, gb) = grads_of(y, x, gamma, beta, gen=gen)
            out.append(case(name, params, input=x, gamma=gamma, beta=beta, output=y, running_mean=run_mean,
                            running_var=run_var, grad_output=g_out, grad_input=gx, grad_gamma=gg, grad_beta=gb))
        else:
            assert torch.equal(used_mean, run_mean) and torch.equal(used_var, run_var)
            out.append(case(name, params, input=x, gamma=gamma, beta=beta, running_mean=run_mean,
                            running_var=run_var, output=y))
    return out


# ---- optimizers: three steps, state carried over ----

# (op, n, params); n = 50 and 257 leave tails for every vector width
OPTIMIZERS = [
    ("sgd", 17, {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    ("sgd", 37, {"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.01}),
    ("sgd_momentum", 17, {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    ("sgd_momentum", 50, {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    ("sgd_momentum", 257, {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
                           "weight_decay": 0.001}),
    ("sgd_nesterov", 17, {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 0.0}),
    ("sgd_nesterov", 37, {"lr": 0.05, "momentum": 0.8, "dampening": 0.0, "nesterov": True, "weight_decay": 0.01}),
    ("adam", 17, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.0}),
    ("adam", 50, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.0}),
    ("adam", 257, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.0}),
    ("adam", 37, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-06, "weight_decay": 0.01}),
    ("adamw", 17, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.01}),
    ("adamw", 37, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-06, "weight_decay": 0.1}),
    ("rmsprop", 17, {"lr": 0.01, "alpha": 0.99, "eps": 1e-08, "weight_decay": 0.0, "momentum": 0.0,
                     "centered": False}),
    ("rmsprop", 37, {"lr": 0.01, "alpha": 0.9, "eps": 1e-08, "weight_decay": 0.01, "momentum": 0.9,
                     "centered": False}),
]


def make_optimizer(op, p, hp):
    if op.startswith("sgd"):
        return torch.optim.SGD([p], lr=hp["lr"], momentum=hp["momentum"], dampening=hp["dampening"],
                               nesterov=hp["nesterov"], weight_decay=hp["weight_decay"])
    if op in ("adam", "adamw"):
        cls = torch.optim.Adam if op == "adam" else torch.optim.AdamW
        return cls([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                   weight_decay=hp["weight_decay"])
    return torch.optim.RMSprop([p], lr=hp["lr"], alpha=hp["alpha"], eps=hp["eps"], weight_decay=hp["weight_decay"],
                               momentum=hp["momentum"], centered=hp["centered"])


def optimizer(op):
    def make(gen):
        out = []
        for name, n, hp in OPTIMIZERS:
            if name != op:
                continue
            initial = gen.randn(n)
            p = initial.clone().requires_grad_()
            opt = make_optimizer(op, p, hp)
            tensors = {"initial": initial}
            for t in (1, 2, 3):
                g = gen.randn(n)
                p.grad = g.clone()
                opt.step()
                tensors[f"grad_{t}"] = g
                tensors[f"after_{t}"] = p.detach().clone()
            wd = f"_wd{hp['weight_decay']:g}" if hp["weight_decay"] else ""
            mom = f"_momentum{hp['momentum']:g}" if op == "rmsprop" and hp["momentum"] else ""
            out.append(case(f"{op}_n{n}{wd}{mom}", hp, **tensors))
        return out
    return make


OPS = {
    "conv2d": conv2d,
    "conv_transpose2d": conv_transpose2d,
    "maxpool2d": pool(lambda x, k, s: F.max_pool2d(x, k, s)),
    "avgpool2d": pool(lambda x, k, s: F.avg_pool2d(x, k, s)),
    "dense": dense,
    **{op: activation(op) for op in ACTIVATIONS},
    "softmax_cross_entropy": softmax_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "mse": mse,
    "batchnorm2d": batchnorm2d,
    **{op: optimizer(op) for op in ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop"]},
}


def write_json(path, doc):
    # one case per line keeps diffs readable; compact separators keep the files small
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, separators=(",", ":"))[:-1]
    lines = [json.dumps(c, separators=(",", ":")) for c in doc["cases"]]
    with open(path + ".tmp", "w") as f:
        f.write(head + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n")
    os.replace(path + ".tmp", path)

# ---- README.md of the folder ----

# what the tensors of each op are, for the README (the same words as the tests' expectations)
HOLDS = {
    "conv2d": "stride [h, w], padding [h, w] (zeros); input (N, C, H, W), weight (K, C, R, S), bias (K), output,"
              " grad_output, grad_input, grad_weight, grad_bias",
    "conv_transpose2d": "stride, padding, output_padding (always [0, 0]); input (N, K, P, Q), weight (K, C, R, S)"
                        " (PyTorch's ConvTranspose2d layout: in, out, kH, kW), bias (C), output (N, C, H, W),"
                        " grad_output, grad_input, grad_weight, grad_bias",
    "maxpool2d": "kernel [h, w], stride [h, w], no padding; input, output, grad_output, grad_input",
    "avgpool2d": "kernel [h, w], stride [h, w], no padding; input, output, grad_output, grad_input",
    "dense": "input (N, in), weight (out, in), bias (out), output = input @ weight^T + bias, grad_output,"
             " grad_input, grad_weight, grad_bias",
    "softmax_cross_entropy": "reduction mean; logits (N, K), labels (N, class index stored as a float), loss [1],"
                             " grad_logits",
    "binary_cross_entropy": "reduction mean, inputs are probabilities; input, target, loss [1], grad_input",
    "mse": "reduction mean; input, target, loss [1], grad_input",
    "batchnorm2d": "eps, momentum, training. Training mode: input, gamma, beta, output, running_mean and"
                   " running_var after the step (they start at 0 and 1; the running variance takes the unbiased"
                   " batch variance, the output the biased one), grad_output, grad_input, grad_gamma, grad_beta."
                   " Eval mode: input, gamma, beta, running_mean and running_var (the statistics used, unchanged),"
                   " output; no gradients (Convoy back-propagates batch norm in training mode only)",
}
for _op in ACTIVATIONS:
    HOLDS[_op] = ", ".join(["negative_slope" if _op == "leaky_relu" else "alpha" if _op == "elu"
                            else "dim 1" if _op == "softmax" else "no params"]) \
        + "; input, output, grad_output, grad_input"
for _op in ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop"]:
    HOLDS[_op] = "torch.optim's hyperparameters as named there; initial, grad_1..grad_3 (applied in turn)," \
                 " after_1..after_3 (the parameters after each step, optimizer state carried over)"


def readme(summary, command):
    total = sum(size for _, _, size in summary)
    rows = "\n".join(f"| `{op}.json` | {len(cases)} | {size // 1024} KiB | {HOLDS[op]} |"
                      for op, cases, size in summary)
    names = "\n".join(f"- `{op}`: " + ", ".join(f"`{c['name']}`" for c in cases) for op, cases, _ in summary)
    return f"""# PyTorch reference cases

Written by `scripts/make_reference_cases.py` (this file too: edit the script, not this file). Made with

    {command}

from the repository root, with PyTorch {torch.__version__} and numpy {np.__version__} (Debian `python3-torch`,
`python3-numpy`), seed {SEED} (the generator is re-seeded with it for each file). {len(summary)} files,
{sum(len(c) for _, c, _ in summary)} cases, {total // 1024} KiB.

Each `<op>.json` holds the cases of one operation:

    {{"op": "conv2d", "torch": "...", "numpy": "...", "seed": ..., "cases": [
    {{"name": "...", "params": {{...}}, "tensors": {{"input": {{"shape": [N, C, H, W], "data": [...]}}, ...}}}},
    ...]}}

Inputs are drawn in float32; PyTorch computes in double precision from exactly those values, and every
tensor is stored rounded to float32 (the shortest decimal that reads back as the same float32), flat
in row-major order. Conventions are PyTorch's: activations NCHW, conv weights (K, C, R, S), dense
weights (out, in). `grad_output` is the upstream gradient; each `grad_<x>` is the gradient of
`sum(output * grad_output)` with respect to `<x>` (for the losses, of the loss itself).

Where PyTorch floors an output size (a window that does not end on the last row or column), Convoy
rejects the shape; the tests assert that rejection, then run Convoy on the rows and columns PyTorch reads.

Convoy passes a case when every element satisfies `|convoy - ref| <= 1e-4 + 1e-4 * |ref|`; the tests
print the largest difference per case. They read this folder unless `-Dconvoy.reference.dir=<folder>`
names another one in the same format (and its `<folder>-extra` sibling when there is one); a missing
folder or one without cases fails the tests. Which tests read what: ConvPoolReferenceTest (kernels)
conv2d and the pooling files; ElementwiseReferenceCasesTest (kernels) the activations, losses,
batchnorm2d and optimizers; ReferenceCasesTest (pipeline) every file, through one-layer networks;
OptimizerTest (pipeline) the optimizers. `conv_transpose2d` and the eval-mode `batchnorm2d` cases
(`"training": false`) are Convoy's additions to the format.

| file | cases | size | params and tensors |
|---|---|---|---|
{rows}

The cases of each file, by name (the shapes, strides and hyperparameters they cover):

{names}
"""


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, DEFAULT_OUT)
    os.makedirs(out_dir, exist_ok=True)
    summary = []
    for op, make in OPS.items():
        cases = make(Gen(SEED))
        doc = {"op": op, "torch": torch.__version__, "numpy": np.__version__, "seed": SEED, "cases": cases}
        path = os.path.join(out_dir, op + ".json")
        write_json(path, doc)
        summary.append((op, cases, os.path.getsize(path)))
        print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    command = "/usr/bin/python3 scripts/make_reference_cases.py" + ("" if len(sys.argv) <= 1 else " " + sys.argv[1])
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(readme(summary, command))


if __name__ == "__main__":
    main()
