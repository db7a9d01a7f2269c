#!/usr/bin/python3
"""The translation model beside PyTorch 1.13, in the same run, same threads.

Model (both sides): d 256, 8 heads, 3 + 3 layers, d_ff 512, dropout 0.1, a
shared 8000-token embedding tied to the output, sinusoidal positions.
  - training: one step (forward, label-smoothed cross-entropy, backward,
    clipping, Adam) on a batch of 128 sentence pairs of 24 tokens;
  - greedy translation of 20-token sentences, 20 tokens generated, at batch 1
    and 64. PyTorch runs nn.Transformer the way its tutorials decode: the whole
    prefix through the decoder at every step (nn.Transformer has no cache);
    qkv decodes with its key/value cache.
qkv's side is build/bench/qkv_bench (BM_Seq2Seq*). Prints medians and the
ratios PyTorch time / qkv time (above 1: qkv is faster).

    /usr/bin/python3 bench/seq2seq_pytorch.py [--build build] [--reps 5]
"""

import argparse
import math
import os

import torch_setup

VOCAB, D, HEADS, LAYERS, FF, BATCH, LEN, GENERATED = 8000, 256, 8, 3, 512, 128, 24, 20


def torch_model(torch):
    nn = torch.nn

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, D, padding_idx=0)
            self.transformer = nn.Transformer(D, HEADS, LAYERS, LAYERS, FF, 0.1,
                                              batch_first=True)
            t = torch.arange(256, dtype=torch.float32)[:, None]
            freq = torch.pow(10000.0, torch.arange(0, D, 2, dtype=torch.float32) / D)
            pe = torch.zeros(256, D)
            pe[:, 0::2], pe[:, 1::2] = torch.sin(t / freq), torch.cos(t / freq)
            self.register_buffer("pe", pe, persistent=False)

        def embed_ids(self, ids):
            return self.embed(ids) * math.sqrt(D) + self.pe[: ids.shape[1]]

        def forward(self, src, tgt):
            t = tgt.shape[1]
            mask = self.transformer.generate_square_subsequent_mask(t)
            h = self.transformer(self.embed_ids(src), self.embed_ids(tgt), tgt_mask=mask)
            return torch.nn.functional.linear(h, self.embed.weight)

    return Seq2Seq()


def run_torch(torch, reps):
    torch.manual_seed(0)
    model = torch_model(torch)
    ids = lambda b, t: torch.randint(4, VOCAB, (b, t))
    src, tgt_in, tgt_out = ids(BATCH, LEN), ids(BATCH, LEN), ids(BATCH, LEN)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    model.train()

    def step():
        opt.zero_grad()
        logits = model(src, tgt_in)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), tgt_out.reshape(-1),
                                                 ignore_index=0, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    results = {"train": torch_setup.median_ms(step, reps)}
    model.eval()
    for b in (1, 64):
        source = ids(b, GENERATED)

        @torch.no_grad()
        def greedy():
            memory = model.transformer.encoder(model.embed_ids(source))
            out = torch.ones(b, 1, dtype=torch.long)  # <bos>
            for _ in range(GENERATED):
                t = out.shape[1]
                mask = model.transformer.generate_square_subsequent_mask(t)
                h = model.transformer.decoder(model.embed_ids(out), memory, tgt_mask=mask)
                logits = torch.nn.functional.linear(h[:, -1], model.embed.weight)
                logits[:, 2] = float("-inf")  # no <eos>: 20 tokens, as qkv's benchmark
                out = torch.cat([out, logits.argmax(-1, keepdim=True)], dim=1)
            return out

        results[f"greedy/{b}"] = torch_setup.median_ms(greedy, reps)
    return results


def run_qkv(build, reps, threads):
    got = torch_setup.qkv_medians(build, "BM_Seq2Seq", reps, threads)
    return {"train": got["BM_Seq2SeqTrainStep/128"], "greedy/1": got["BM_Seq2SeqGreedy/1"],
            "greedy/64": got["BM_Seq2SeqGreedy/64"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default="build")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=int(os.environ.get("QKV_NUM_THREADS") or os.cpu_count()))
    args = p.parse_args()
    ours = run_qkv(args.build, args.reps, args.threads)
    torch = torch_setup.import_torch(args.build, args.threads)
    theirs = run_torch(torch, args.reps)
    tokens = BATCH * LEN
    print(f"qkv vs PyTorch {torch.__version__}, {args.threads} threads, medians of {args.reps}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}")
    print()
    print("| task | qkv | PyTorch | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| training step, {BATCH} x {LEN} tokens | {ours['train']:.0f} ms "
          f"({tokens / ours['train'] * 1e3:.0f} tok/s) | {theirs['train']:.0f} ms "
          f"({tokens / theirs['train'] * 1e3:.0f} tok/s) | {theirs['train'] / ours['train']:.2f} |")
    for b in (1, 64):
        q, t = ours[f"greedy/{b}"] / b, theirs[f"greedy/{b}"] / b
        print(f"| greedy, {GENERATED} tokens, batch {b} | {q:.1f} ms/sentence | "
              f"{t:.1f} ms/sentence | {t / q:.2f} |")


if __name__ == "__main__":
    main()
