#!/usr/bin/python3
"""Writes the encoder-decoder Transformer goldens with PyTorch 1.13.

Run with /usr/bin/python3. For each variant (post-norm ReLU, post-norm GELU,
pre-norm ReLU, pre-norm GELU) it builds the model qkv's Seq2SeqTransformer
describes out of torch modules: a shared nn.Embedding (padding_idx 0) scaled by
sqrt(d) plus the sinusoidal table, nn.TransformerEncoder / TransformerDecoder
(batch_first, each with a final LayerNorm, as nn.Transformer builds them) and
logits tied to the embedding. On a padded batch it stores:

  param.<name>                every parameter, PyTorch's names; the four variants
                              have the same parameters and start from the same values
  src, tgt_in, tgt_out        int64 ids; 0 is padding
  <variant>.logits            [B, T, V], with key padding on both sides and the
                              causal mask on the target
  <variant>.loss              label-smoothed (0.1) cross-entropy, padding ignored
  <variant>.grad.<param>      the loss's gradient for every parameter
  <variant>.adam_losses       the losses before each of 3 Adam steps (lr 1e-3)

Dropout is 0 and the modules stay in training mode, so PyTorch takes its
ordinary path (its inference fast path rewrites padded rows).
"""

import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import golden_io

V, D, HEADS, FF, LAYERS, PAD = 40, 16, 4, 32, 2, 0
VARIANTS = {"post_relu": (False, "relu"), "post_gelu": (False, "gelu"),
            "pre_relu": (True, "relu"), "pre_gelu": (True, "gelu")}


def sinusoidal(t, d):
    p = torch.zeros(t, d)
    pos = torch.arange(t, dtype=torch.float64)[:, None]
    freq = torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
    p[:, 0::2] = torch.sin(pos / freq).float()
    p[:, 1::2] = torch.cos(pos / freq).float()
    return p


class Seq2Seq(nn.Module):
    def __init__(self, norm_first, activation):
        super().__init__()
        self.embed = nn.Embedding(V, D, padding_idx=PAD)

        def enc_layer():
            return nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, activation, batch_first=True,
                                              norm_first=norm_first)

        def dec_layer():
            return nn.TransformerDecoderLayer(D, HEADS, FF, 0.0, activation, batch_first=True,
                                              norm_first=norm_first)

        self.encoder = nn.TransformerEncoder(enc_layer(), LAYERS, nn.LayerNorm(D),
                                             enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(dec_layer(), LAYERS, nn.LayerNorm(D))
        self.register_buffer("table", sinusoidal(64, D), persistent=False)

    def embed_ids(self, ids):
        return self.embed(ids) * math.sqrt(D) + self.table[: ids.shape[1]]

    def forward(self, src, tgt):
        src_pad, tgt_pad = src == PAD, tgt == PAD
        t = tgt.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        memory = self.encoder(self.embed_ids(src), src_key_padding_mask=src_pad)
        h = self.decoder(self.embed_ids(tgt), memory, tgt_mask=causal,
                         tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
        return F.linear(h, self.embed.weight)


def batch(g):
    """Three sentence pairs, right-padded: source lengths 7, 4, 2; target 6, 3, 5."""
    src = torch.randint(4, V, (3, 7), generator=g)
    tgt = torch.randint(4, V, (3, 7), generator=g)
    for row, (ls, lt) in enumerate([(7, 6), (4, 3), (2, 5)]):
        src[row, ls:] = PAD
        tgt[row, 0] = 1  # <bos>
        tgt[row, lt] = 2  # <eos>
        tgt[row, lt + 1:] = PAD
    return src, tgt[:, :-1].contiguous(), tgt[:, 1:].contiguous()


def loss_of(model, src, tgt_in, tgt_out):
    logits = model(src, tgt_in)
    loss = F.cross_entropy(logits.reshape(-1, V), tgt_out.reshape(-1), ignore_index=PAD,
                           label_smoothing=0.1)
    return logits, loss


def initial_parameters(seed):
    """Values away from PyTorch's default init, so every term is exercised:
    biases and LayerNorm affines nonzero, weights of about the trained scale."""
    g = torch.Generator().manual_seed(seed)
    values = {}
    for name, p in Seq2Seq(False, "relu").named_parameters():
        if ".norm" in name and name.endswith("weight"):
            values[name] = 1 + 0.1 * torch.randn(p.shape, generator=g)
        elif p.dim() == 1:
            values[name] = 0.1 * torch.randn(p.shape, generator=g)
        else:
            values[name] = torch.randn(p.shape, generator=g) / math.sqrt(p.shape[-1])
    values["embed.weight"][PAD] = 0
    return values


def make_variant(name, norm_first, activation, init, src, tgt_in, tgt_out, tensors):
    model = Seq2Seq(norm_first, activation)
    model.load_state_dict(init)
    logits, loss = loss_of(model, src, tgt_in, tgt_out)
    loss.backward()
    tensors.update({f"{name}.grad.{k}": p.grad.clone() for k, p in model.named_parameters()})
    tensors[f"{name}.logits"] = logits.detach()
    tensors[f"{name}.loss"] = loss.detach().double().reshape(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        _, step_loss = loss_of(model, src, tgt_in, tgt_out)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    tensors[f"{name}.adam_losses"] = torch.tensor(losses, dtype=torch.float64)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "seq2seq"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(31)
    src, tgt_in, tgt_out = batch(g)
    init = initial_parameters(100)
    tensors = {"src": src, "tgt_in": tgt_in, "tgt_out": tgt_out}
    tensors.update({"param." + k: v for k, v in init.items()})
    for name, (norm_first, activation) in VARIANTS.items():
        make_variant(name, norm_first, activation, init, src, tgt_in, tgt_out, tensors)
    path = os.path.join(args.out, "seq2seq.safetensors")
    golden_io.write_safetensors(path, tensors, golden_io.metadata(
        "tools/make_golden_seq2seq.py", vocab=V, d_model=D, heads=HEADS, d_ff=FF,
        layers=LAYERS, pad_id=PAD, label_smoothing=0.1, adam_lr=1e-3))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
