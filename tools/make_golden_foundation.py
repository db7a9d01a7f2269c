#!/usr/bin/python3
"""Writes the foundation goldens with PyTorch 1.13 (run with /usr/bin/python3).

tests/golden/foundation/block.safetensors
    x [B=2, T=5, d=8] -> Linear(8, 16) -> GELU -> LayerNorm(16) -> Linear(16, C=7)
    -> logits; probs = softmax(logits); loss = cross_entropy(logits, targets,
    label_smoothing=0.1, ignore_index=-100) with one target ignored. Stores the
    inputs, every parameter, logits, probs, loss and the gradient of the loss
    with respect to x and every parameter ("grad.<name>").

tests/golden/foundation/mlp_optim.safetensors
    MLP Linear(8, 32) -> ReLU -> Linear(32, 4), cross-entropy on a fixed batch
    (data.x [16, 8], data.y [16]); from the same initial parameters ("init.*"),
    5 full-batch steps of each optimizer: "<opt>.losses" [5] (the loss computed
    before each step) and "<opt>.final.*" (the parameters after the 5th step),
    for opt in adam (lr 1e-2), adamw (lr 1e-2, weight_decay 0.1) and
    sgd (lr 0.1, momentum 0.9).

Tensors are float32 except targets (int64) and losses (float64, the float32
loss widened). The file format is safetensors, written by tools/golden_io.py.
"""

import argparse
import os

import torch
import torch.nn.functional as F

import golden_io


def metadata(**extra):
    return golden_io.metadata("tools/make_golden_foundation.py", **extra)


def make_block(path):
    g = torch.Generator().manual_seed(1234)
    B, T, d, hidden, C = 2, 5, 8, 16, 7
    fc1 = torch.nn.Linear(d, hidden)
    ln = torch.nn.LayerNorm(hidden)
    fc2 = torch.nn.Linear(hidden, C)
    with torch.no_grad():
        for p in (fc1.weight, fc1.bias, fc2.weight, fc2.bias):
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        # Away from the default 1 and 0, so the affine part is really tested.
        ln.weight.copy_(1 + 0.2 * torch.randn(hidden, generator=g))
        ln.bias.copy_(0.2 * torch.randn(hidden, generator=g))
    x = torch.randn(B, T, d, generator=g).requires_grad_(True)
    targets = torch.randint(0, C, (B, T), generator=g)
    targets[1, 2] = -100

    logits = fc2(ln(F.gelu(fc1(x))))
    probs = torch.softmax(logits, dim=-1)
    loss = F.cross_entropy(logits.reshape(-1, C), targets.reshape(-1), ignore_index=-100,
                           label_smoothing=0.1)
    params = {"fc1.weight": fc1.weight, "fc1.bias": fc1.bias, "ln.weight": ln.weight,
              "ln.bias": ln.bias, "fc2.weight": fc2.weight, "fc2.bias": fc2.bias}
    loss.backward()

    tensors = {"x": x, "targets": targets}
    tensors.update(params)
    tensors.update({"logits": logits, "probs": probs,
                    "loss": loss.detach().double().reshape(1), "grad.x": x.grad})
    tensors.update({"grad." + k: p.grad for k, p in params.items()})
    golden_io.write_safetensors(path, tensors, metadata(
        model="x -> linear -> gelu -> layer_norm -> linear -> logits", layer_norm_eps=ln.eps,
        label_smoothing=0.1, ignore_index=-100, seed=1234))


def mlp_params(g):
    fc1 = torch.nn.Linear(8, 32)
    fc2 = torch.nn.Linear(32, 4)
    with torch.no_grad():
        for lin in (fc1, fc2):
            bound = 1 / lin.in_features ** 0.5  # PyTorch's default init range
            lin.weight.copy_((torch.rand(lin.weight.shape, generator=g) * 2 - 1) * bound)
            lin.bias.copy_((torch.rand(lin.bias.shape, generator=g) * 2 - 1) * bound)
    return {"fc1.weight": fc1.weight.detach(), "fc1.bias": fc1.bias.detach(),
            "fc2.weight": fc2.weight.detach(), "fc2.bias": fc2.bias.detach()}


def train(init, x, y, make_optimizer, steps=5):
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    opt = make_optimizer(list(params.values()))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        h = F.relu(F.linear(x, params["fc1.weight"], params["fc1.bias"]))
        loss = F.cross_entropy(F.linear(h, params["fc2.weight"], params["fc2.bias"]), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64), params


def make_mlp_optim(path):
    g = torch.Generator().manual_seed(5678)
    init = mlp_params(g)
    x = torch.randn(16, 8, generator=g)
    y = torch.randint(0, 4, (16,), generator=g)
    optimizers = {
        "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2),
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.1),
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    }
    tensors = {"data.x": x, "data.y": y}
    tensors.update({"init." + k: v for k, v in init.items()})
    for name, make in optimizers.items():
        losses, final = train(init, x, y, make)
        tensors[name + ".losses"] = losses
        tensors.update({name + ".final." + k: v for k, v in final.items()})
    golden_io.write_safetensors(path, tensors, metadata(
        model="linear(8, 32) -> relu -> linear(32, 4) -> cross_entropy", steps=5,
        adam="lr=0.01", adamw="lr=0.01 weight_decay=0.1", sgd="lr=0.1 momentum=0.9",
        seed=5678))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "foundation"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    make_block(os.path.join(args.out, "block.safetensors"))
    make_mlp_optim(os.path.join(args.out, "mlp_optim.safetensors"))
    for f in sorted(os.listdir(args.out)):
        print(f, os.path.getsize(os.path.join(args.out, f)), "bytes")


if __name__ == "__main__":
    main()
