#!/usr/bin/python3
"""Writes tests/golden/safetensors/torch_written.safetensors from PyTorch tensors.

The safetensors Python package is not available here, so the file is written
from the published format with struct + json alone: an 8-byte little-endian
header length, the JSON header padded with spaces to a multiple of 8 bytes,
then the byte buffer, tensors ordered as the reference writer orders them
(dtype I64, F64, F32, BF16, then name). A sidecar torch_written.json records
every tensor's dtype, shape and values, and the metadata, for
tests/io/safetensors_test.cpp to compare against.

Run from the repository root: /usr/bin/python3 tools/write_safetensors_torch.py
"""

import json
import math
import os
import struct
import sys

import torch

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                       "safetensors")

DTYPES = {torch.int64: "I64", torch.float64: "F64", torch.float32: "F32", torch.bfloat16: "BF16"}
WRITE_ORDER = ["I64", "F64", "F32", "BF16"]


def tensors():
    g = torch.Generator().manual_seed(7)
    return {
        "encoder.weight": torch.randn(2, 3, generator=g),
        "decoder.bias": torch.tensor([math.pi, -1e-300, 1e300, -0.0], dtype=torch.float64),
        "embed.bf16": torch.tensor([[1.0, -2.5], [3.140625, 0.0078125]], dtype=torch.bfloat16),
        "token_ids": torch.tensor([0, -1, 2**62, -(2**63)], dtype=torch.int64),
        "scale": torch.tensor(42.5),
        "empty": torch.zeros(0, 3),
        "encoder.ä": torch.tensor([1.5, -0.25]),
        # A transposed view: written in row-major order of its logical shape.
        "decoder.weight_t": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
    }


METADATA = {"format": "pt", "writer": "tools/write_safetensors_torch.py", "note": "é ü 日本"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def expected_values(t):
    if t.dtype == torch.int64:
        return [int(v) for v in t.reshape(-1).tolist()]
    # float32 and bfloat16 values are exact in a double; repr round-trips it.
    return [float(v) for v in t.to(torch.float64).reshape(-1).tolist()]


def main():
    named = tensors()
    order = sorted(named, key=lambda n: (WRITE_ORDER.index(DTYPES[named[n].dtype]), n))
    header = {"__metadata__": METADATA}
    buffer = bytearray()
    for name in order:
        t = named[name]
        data = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(buffer), len(buffer) + len(data)]}
        buffer += data
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "torch_written.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(buffer))

    expected = {
        "metadata": METADATA,
        "tensors": {n: {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": expected_values(t)}
                    for n, t in named.items()},
    }
    with open(os.path.join(OUT_DIR, "torch_written.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(named)} tensors, header {len(text)} bytes, buffer {len(buffer)} bytes "
          f"(torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
