#!/usr/bin/python3
"""Writes the positional-encoding goldens with PyTorch 1.13 (run with /usr/bin/python3).

tests/golden/positional/positional.safetensors
    table.11x10, table.7x7: sinusoidal tables [T, d] computed as d2l.ai's
    PositionalEncoding computes them, in float32: X = pos / 10000^(2j/d),
    P[:, 0::2] = sin(X), P[:, 1::2] = cos(X). For odd d the cosine columns
    take the first d // 2 columns of X (d2l's code assumes an even d).

    sine2d.valid [B=2, H=5, W=7] int64: 1 where a pixel is real; the first
    image is whole, the second has its top-left 3 x 4 pixels.
    sine2d.offset_half, sine2d.offset_zero [2, d=16, 5, 7] float32: DETR's
    PositionEmbeddingSine(num_pos_feats=8, normalize=True, scale=2 pi,
    temperature=10000) of that mask, with the cumulative counts less 0.5 before
    normalising (Deformable DETR's formula) and less 0 (the original DETR's).

The file format is safetensors, written by tools/golden_io.py.
"""

import argparse
import math
import os

import torch

import golden_io


def d2l_table(T, d):
    X = torch.arange(T, dtype=torch.float32).reshape(-1, 1) / torch.pow(
        10000, torch.arange(0, d, 2, dtype=torch.float32) / d)
    P = torch.zeros((T, d))
    P[:, 0::2] = torch.sin(X)
    P[:, 1::2] = torch.cos(X[:, :d // 2])
    return P


def position_embedding_sine(not_mask, num_pos_feats, pixel_offset, temperature=10000,
                            scale=2 * math.pi):
    """DETR's PositionEmbeddingSine.forward with normalize=True; not_mask [B, H, W] bool."""
    y_embed = not_mask.cumsum(1, dtype=torch.float32)
    x_embed = not_mask.cumsum(2, dtype=torch.float32)
    eps = 1e-6
    y_embed = (y_embed - pixel_offset) / (y_embed[:, -1:, :] + eps) * scale
    x_embed = (x_embed - pixel_offset) / (x_embed[:, :, -1:] + eps) * scale
    dim_t = torch.arange(num_pos_feats, dtype=torch.float32)
    dim_t = temperature ** (2 * (dim_t // 2) / num_pos_feats)
    pos_x = x_embed[:, :, :, None] / dim_t
    pos_y = y_embed[:, :, :, None] / dim_t
    pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "positional"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    valid = torch.zeros(2, 5, 7, dtype=torch.int64)
    valid[0] = 1
    valid[1, :3, :4] = 1
    tensors = {"table.11x10": d2l_table(11, 10), "table.7x7": d2l_table(7, 7),
               "sine2d.valid": valid}
    for name, pixel_offset in (("offset_half", 0.5), ("offset_zero", 0.0)):
        tensors["sine2d." + name] = position_embedding_sine(valid != 0, 8, pixel_offset).contiguous()
    path = os.path.join(args.out, "positional.safetensors")
    golden_io.write_safetensors(path, tensors, golden_io.metadata(
        "tools/make_golden_positional.py", table="d2l.ai PositionalEncoding, float32",
        sine2d="PositionEmbeddingSine num_pos_feats=8 normalize=True scale=2pi temperature=10000"))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
