#!/usr/bin/python3
"""The MNIST Vision Transformer beside PyTorch 1.13, in the same run, same threads.

Model (both sides): 28 x 28 grey images in 4 x 4 patches (a linear map of the
flattened patch), a [CLS] token, learned positions, 6 pre-norm encoder layers
(d 64, 4 heads, MLP 128, GELU, dropout 0.1) with a final LayerNorm, a linear
head. One training step: forward, label-smoothed cross-entropy, backward,
clipping, AdamW, on a batch of 128 images. qkv's side is build/bench/qkv_bench
(BM_VitTrainStep). Prints medians and the ratio PyTorch time / qkv time (above
1: qkv is faster).

    /usr/bin/python3 bench/vit_pytorch.py [--build build] [--reps 10]
"""

import argparse
import os

import torch_setup

BATCH, IMAGE, P, D, HEADS, DEPTH, FF, CLASSES = 128, 28, 4, 64, 4, 6, 128, 10
GRID = IMAGE // P
N = GRID * GRID


def torch_model(torch):
    nn = torch.nn

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch_embed = nn.Linear(P * P, D)
            self.cls_token = nn.Parameter(torch.randn(1, 1, D) * 0.02)
            self.positions = nn.Parameter(torch.randn(N + 1, D) * 0.02)
            self.dropout = nn.Dropout(0.1)
            layer = nn.TransformerEncoderLayer(D, HEADS, FF, 0.1, "gelu", batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, DEPTH, nn.LayerNorm(D),
                                                 enable_nested_tensor=False)
            self.head = nn.Linear(D, CLASSES)

        def forward(self, x):
            b = x.shape[0]
            patches = x.reshape(b, 1, GRID, P, GRID, P).permute(0, 2, 4, 1, 3, 5).reshape(b, N, -1)
            t = torch.cat([self.cls_token.expand(b, -1, -1), self.patch_embed(patches)], 1)
            return self.head(self.encoder(self.dropout(t + self.positions))[:, 0])

    return ViT()


def run_torch(torch, reps):
    torch.manual_seed(0)
    model = torch_model(torch)
    model.train()
    images = torch.randn(BATCH, 1, IMAGE, IMAGE)
    labels = torch.randint(0, CLASSES, (BATCH,))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images), labels, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return torch_setup.median_ms(step, reps)


def run_qkv(build, reps, threads):
    return torch_setup.qkv_medians(build, "BM_VitTrainStep", reps, threads)["BM_VitTrainStep/128"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default="build")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--threads", type=int,
                   default=int(os.environ.get("QKV_NUM_THREADS") or os.cpu_count()))
    args = p.parse_args()
    ours = run_qkv(args.build, args.reps, args.threads)
    torch = torch_setup.import_torch(args.build, args.threads)
    theirs = run_torch(torch, args.reps)
    print(f"qkv vs PyTorch {torch.__version__}, {args.threads} threads, medians of {args.reps}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}")
    print()
    print("| task | qkv | PyTorch | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| ViT training step, {BATCH} images | {ours:.1f} ms ({BATCH / ours * 1e3:.0f} images/s) | "
          f"{theirs:.1f} ms ({BATCH / theirs * 1e3:.0f} images/s) | {theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
