#!/usr/bin/python3
"""Writes the attention goldens with PyTorch 1.13 (run with /usr/bin/python3).

tests/golden/attention/attention.safetensors holds, under one prefix per case,
the inputs, the parameters (PyTorch's names), the outputs, the attention
weights, and the gradients ("grad.<name>") of
    loss = sum(output * r_out) + sum(weights * r_w)
with respect to every input and parameter, r_out and r_w fixed random tensors
stored beside them. Masks are stored as int64 in PyTorch's convention
(1 = masked / padding); additive masks as float32 with -inf.

    mha_self.   nn.MultiheadAttention(16, 4, batch_first=True), self-attention,
                key_padding_mask (lengths 6, 4, 1) and a causal bool attn_mask,
                weights averaged over heads.
    mha_cross.  nn.MultiheadAttention(16, 2, kdim=10, vdim=12, batch_first=True),
                a float attn_mask [Tq, Tk] with -inf entries, key_padding_mask,
                weights per head (average_attn_weights=False).
    mha_mask3d. nn.MultiheadAttention(12, 3, bias=False, batch_first=True), a bool
                attn_mask [B * h, Tq, Tk], weights averaged.
    gqa. / mqa. grouped-query attention (d 16, 4 query heads, 2 or 1 key/value
                heads) composed of torch ops: q/k/v/out projections, key/value
                heads repeated for their query heads, causal and key-padding
                masks, one batch with no key at all (zeros by definition).
    additive.   d2l.ai's AdditiveAttention (queries 20 wide, keys 2, hidden 8)
                with valid lengths [2, 6], and d2l's masked_softmax.
"""

import argparse
import math
import os

import torch
import torch.nn.functional as F

import golden_io


def randn(g, *shape):
    return torch.randn(*shape, generator=g)


def finish(prefix, tensors, inputs, params, output, weights, g):
    """Adds output, weights, the readout weights and every gradient."""
    r_out, r_w = randn(g, *output.shape), randn(g, *weights.shape)
    loss = (output * r_out).sum() + (weights * r_w).sum()
    loss.backward()
    out = {"output": output, "weights": weights, "r_out": r_out, "r_w": r_w}
    for name, t in inputs.items():
        out[name] = t
        if t.requires_grad:
            out["grad." + name] = t.grad
    for name, p in params.items():
        out[name] = p
        out["grad." + name] = p.grad
    tensors.update({prefix + k: v.detach() for k, v in out.items()})


def make_mha(prefix, tensors, g, d, h, tq, tk, batch, kdim=None, vdim=None, bias=True,
             mask_kind="causal", lengths=None, average=True):
    mha = torch.nn.MultiheadAttention(d, h, bias=bias, batch_first=True, kdim=kdim, vdim=vdim)
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(randn(g, *p.shape) * 0.3)
    self_attention = kdim is None and vdim is None and tq == tk
    query = randn(g, batch, tq, d).requires_grad_(True)
    if self_attention:
        inputs = {"x": query}
        key = value = query
    else:
        key = randn(g, batch, tk, kdim or d).requires_grad_(True)
        value = randn(g, batch, tk, vdim or d).requires_grad_(True)
        inputs = {"query": query, "key": key, "value": value}
    kwargs = {}
    if lengths is not None:
        pad = torch.arange(tk)[None, :] >= torch.tensor(lengths)[:, None]
        kwargs["key_padding_mask"] = pad
        inputs["key_padding_mask"] = pad.long()
    if mask_kind == "causal":
        m = torch.ones(tq, tk, dtype=torch.bool).triu(1)
        kwargs["attn_mask"] = m
        inputs["attn_mask_bool"] = m.long()
    elif mask_kind == "float":
        m = randn(g, tq, tk)
        m[torch.rand(tq, tk, generator=g) < 0.25] = float("-inf")
        m[:, 0] = 0.0  # every row keeps a key
        kwargs["attn_mask"] = m
        inputs["attn_mask_float"] = m
    elif mask_kind == "bool3d":
        m = torch.rand(batch * h, tq, tk, generator=g) < 0.3
        m[:, :, 0] = False
        kwargs["attn_mask"] = m
        inputs["attn_mask_bool"] = m.long()
    out, w = mha(query, key, value, need_weights=True, average_attn_weights=average, **kwargs)
    params = dict(mha.named_parameters())
    finish(prefix, tensors, inputs, params, out, w, g)


def make_grouped(prefix, tensors, g, kv_heads):
    batch, t, d, h = 3, 5, 16, 4
    dh = d // h
    lin = {"q_proj": torch.nn.Linear(d, h * dh), "k_proj": torch.nn.Linear(d, kv_heads * dh),
           "v_proj": torch.nn.Linear(d, kv_heads * dh), "out_proj": torch.nn.Linear(h * dh, d)}
    params = {}
    with torch.no_grad():
        for name, m in lin.items():
            m.weight.copy_(randn(g, *m.weight.shape) * 0.3)
            m.bias.copy_(randn(g, *m.bias.shape) * 0.3)
            params[name + ".weight"] = m.weight
            params[name + ".bias"] = m.bias
    x = randn(g, batch, t, d).requires_grad_(True)
    lengths = [5, 3, 0]
    q = lin["q_proj"](x).view(batch, t, h, dh).transpose(1, 2)
    k = lin["k_proj"](x).view(batch, t, kv_heads, dh).transpose(1, 2)
    v = lin["v_proj"](x).view(batch, t, kv_heads, dh).transpose(1, 2)
    k = k.repeat_interleave(h // kv_heads, dim=1)
    v = v.repeat_interleave(h // kv_heads, dim=1)
    s = q @ k.transpose(-2, -1) / math.sqrt(dh)
    hidden = torch.ones(t, t, dtype=torch.bool).triu(1)[None, None]
    hidden = hidden | (torch.arange(t)[None, :] >= torch.tensor(lengths)[:, None])[:, None, None]
    s = s.masked_fill(hidden, float("-inf"))
    w = torch.softmax(s, dim=-1)
    # A row that sees no key has weights 0 (qkv's definition; softmax gives NaN).
    w = torch.where(hidden.all(-1, keepdim=True), torch.zeros_like(w), w)
    o = (w @ v).transpose(1, 2).reshape(batch, t, d)
    out = lin["out_proj"](o)
    finish(prefix, tensors, {"x": x, "key_lengths": torch.tensor(lengths)}, params, out, w, g)


def d2l_masked_softmax(x, valid_lens):
    """d2l.ai's masked_softmax: masked scores set to -1e6 before the softmax."""
    shape = x.shape
    valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    x = x.reshape(-1, shape[-1])
    mask = torch.arange(shape[-1])[None, :] < valid_lens[:, None]
    x = x.masked_fill(~mask, -1e6)
    return torch.softmax(x.reshape(shape), dim=-1)


def make_additive(prefix, tensors, g):
    w_q = torch.nn.Linear(20, 8, bias=False)
    w_k = torch.nn.Linear(2, 8, bias=False)
    w_v = torch.nn.Linear(8, 1, bias=False)
    with torch.no_grad():
        for m in (w_q, w_k, w_v):
            m.weight.copy_(randn(g, *m.weight.shape) * 0.5)
    queries = randn(g, 2, 3, 20).requires_grad_(True)
    keys = randn(g, 2, 10, 2).requires_grad_(True)
    values = randn(g, 2, 10, 4).requires_grad_(True)
    valid_lens = torch.tensor([2, 6])
    features = torch.tanh(w_q(queries).unsqueeze(2) + w_k(keys).unsqueeze(1))
    scores = w_v(features).squeeze(-1)
    weights = d2l_masked_softmax(scores, valid_lens)
    out = torch.bmm(weights, values)
    params = {"W_q.weight": w_q.weight, "W_k.weight": w_k.weight, "w_v.weight": w_v.weight}
    inputs = {"queries": queries, "keys": keys, "values": values, "key_lengths": valid_lens}
    finish(prefix, tensors, inputs, params, out, weights, g)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "attention"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(2024)
    tensors = {}
    make_mha("mha_self.", tensors, g, d=16, h=4, tq=6, tk=6, batch=3, lengths=[6, 4, 1])
    make_mha("mha_cross.", tensors, g, d=16, h=2, tq=5, tk=7, batch=2, kdim=10, vdim=12,
             mask_kind="float", lengths=[7, 3], average=False)
    make_mha("mha_mask3d.", tensors, g, d=12, h=3, tq=4, tk=4, batch=2, bias=False,
             mask_kind="bool3d")
    make_grouped("gqa.", tensors, g, kv_heads=2)
    make_grouped("mqa.", tensors, g, kv_heads=1)
    make_additive("additive.", tensors, g)
    path = os.path.join(args.out, "attention.safetensors")
    golden_io.write_safetensors(path, tensors,
                                golden_io.metadata("tools/make_golden_attention.py", seed=2024))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
