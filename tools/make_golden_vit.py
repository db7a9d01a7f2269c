#!/usr/bin/python3
"""Writes the Vision Transformer goldens with PyTorch 1.13.

Run with /usr/bin/python3. It builds the model qkv's VisionTransformer describes
out of torch modules: images cut into P x P patches and flattened (channel,
row, column, the order of a stride-P nn.Conv2d's kernel, which the script
checks), nn.Linear to d_model, a [CLS] parameter in front, learned positions
added, nn.TransformerEncoder (batch_first, norm_first, GELU) with a final
LayerNorm, and nn.Linear on the [CLS] position. On a batch of random images it
stores:

  param.<name>      every parameter, PyTorch's names
  images, labels    float32 [B, C, H, W] and int64 [B]
  logits            [B, classes]
  loss              label-smoothed (0.1) cross-entropy
  grad.<param>      the loss's gradient for every parameter
  grad.images       and for the images
  adamw_losses      the losses before each of 3 AdamW steps (lr 1e-3, weight decay 0.05)

Dropout is 0 and the modules stay in training mode (PyTorch's ordinary path).
"""

import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import golden_io

B, C, IMAGE, P, D, HEADS, DEPTH, FF, CLASSES = 3, 2, 8, 4, 16, 4, 2, 32, 5
GRID = IMAGE // P
N = GRID * GRID


class Positions(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(N + 1, D))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Linear(C * P * P, D)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.positions = Positions()
        layer = nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, "gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, DEPTH, nn.LayerNorm(D),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(D, CLASSES)

    def patches(self, x):
        b = x.shape[0]
        return x.reshape(b, C, GRID, P, GRID, P).permute(0, 2, 4, 1, 3, 5).reshape(b, N, C * P * P)

    def forward(self, x):
        t = self.patch_embed(self.patches(x))
        t = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), t], 1) + self.positions.weight
        return self.head(self.encoder(t)[:, 0])


def loss_of(model, images, labels):
    logits = model(images)
    return logits, F.cross_entropy(logits, labels, label_smoothing=0.1)


def initial_parameters(model, seed):
    """Values away from PyTorch's default init, so every term is exercised."""
    g = torch.Generator().manual_seed(seed)
    values = {}
    for name, p in model.named_parameters():
        if "norm" in name and name.endswith("weight"):
            values[name] = 1 + 0.1 * torch.randn(p.shape, generator=g)
        elif p.dim() == 1:
            values[name] = 0.1 * torch.randn(p.shape, generator=g)
        elif name in ("cls_token", "positions.weight"):
            values[name] = 0.5 * torch.randn(p.shape, generator=g)
        else:
            values[name] = torch.randn(p.shape, generator=g) / math.sqrt(p.shape[-1])
    return values


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "vit"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(7)
    images = torch.randn(B, C, IMAGE, IMAGE, generator=g)
    labels = torch.randint(0, CLASSES, (B,), generator=g)
    model = ViT()
    init = initial_parameters(model, 11)
    model.load_state_dict(init)

    # The patch embedding is a stride-P convolution with the same weights.
    conv = F.conv2d(images, model.patch_embed.weight.reshape(D, C, P, P), model.patch_embed.bias,
                    stride=P).flatten(2).transpose(1, 2)
    assert torch.allclose(conv, model.patch_embed(model.patches(images)), atol=1e-5)

    x = images.clone().requires_grad_(True)
    logits, loss = loss_of(model, x, labels)
    loss.backward()
    tensors = {"images": images, "labels": labels, "logits": logits.detach(),
               "loss": loss.detach().double().reshape(1), "grad.images": x.grad.clone()}
    tensors.update({"param." + k: v for k, v in init.items()})
    tensors.update({"grad." + k: p.grad.clone() for k, p in model.named_parameters()})
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        _, step_loss = loss_of(model, images, labels)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    tensors["adamw_losses"] = torch.tensor(losses, dtype=torch.float64)
    path = os.path.join(args.out, "vit.safetensors")
    golden_io.write_safetensors(path, tensors, golden_io.metadata(
        "tools/make_golden_vit.py", batch=B, channels=C, image_size=IMAGE, patch_size=P,
        d_model=D, heads=HEADS, depth=DEPTH, d_ff=FF, classes=CLASSES, label_smoothing=0.1,
        adamw_lr=1e-3, weight_decay=0.05))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
