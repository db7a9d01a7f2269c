#!/usr/bin/python3
"""Reads a safetensors file written by qkv into PyTorch and checks it.

Checks the layout rules of the published format (header length, UTF-8 JSON
object, space padding to 8 bytes, offsets that tile the buffer exactly, byte
sizes that match shape x dtype) and each tensor's element alignment, then
compares tensors and metadata with an expected-values JSON file in the form
tools/write_safetensors_torch.py writes (torch_written.json). Tensors in the
file that the expected file does not list are reported, not failed; a tensor
"<name>.T" in the file is compared with the transpose of expected "<name>".

Usage: /usr/bin/python3 tools/read_safetensors_torch.py FILE.safetensors EXPECTED.json
A file to check: any program that calls
  qkv::save_safetensors(out, qkv::load_safetensors(golden).tensors, metadata).
"""

import json
import struct
import sys

import torch

DTYPES = {"I64": (torch.int64, 8), "F64": (torch.float64, 8), "F32": (torch.float32, 4),
          "BF16": (torch.bfloat16, 2)}


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        fail(f"header length {n} past end of file ({len(data)} bytes)")
    if n % 8 != 0:
        fail(f"header length {n} is not padded to a multiple of 8")
    text = data[8:8 + n].decode("utf-8")
    if not text.startswith("{") or text.rstrip(" ") != text.rstrip():
        fail("header does not start with '{' or is padded with something other than spaces")
    header = json.loads(text)
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    covered = 0
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        if begin != covered:
            fail(f"tensor {name} begins at {begin}, expected {covered}")
        dtype, size = DTYPES[info["dtype"]]
        count = 1
        for s in info["shape"]:
            count *= s
        if end - begin != count * size:
            fail(f"tensor {name} spans {end - begin} bytes, shape x dtype needs {count * size}")
        if (8 + n + begin) % size != 0:
            fail(f"tensor {name} is not aligned to its {size}-byte elements")
        covered = end
        raw = bytearray(buffer[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"])
    if covered != len(buffer):
        fail(f"tensors cover {covered} bytes of a {len(buffer)}-byte buffer")
    return tensors, metadata


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    tensors, metadata = load(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        expected = json.load(f)
    if metadata != expected["metadata"]:
        fail(f"metadata {metadata} != expected {expected['metadata']}")
    checked = 0
    for name, t in tensors.items():
        transposed = name.endswith(".T") and name[:-2] in expected["tensors"]
        want = expected["tensors"].get(name[:-2] if transposed else name)
        if want is None:
            print(f"note: {name} is not in the expected file")
            continue
        dtype, _ = DTYPES[want["dtype"]]
        ref = torch.tensor(want["values"], dtype=torch.float64).to(dtype).reshape(want["shape"])
        if dtype == torch.int64:
            ref = torch.tensor(want["values"], dtype=torch.int64).reshape(want["shape"])
        if transposed:
            ref = ref.t()
        if t.dtype != ref.dtype or t.shape != ref.shape or not torch.equal(t, ref):
            fail(f"tensor {name}: got {t.dtype} {list(t.shape)} {t}, expected {ref}")
        checked += 1
    print(f"OK: {checked} tensors and {len(metadata)} metadata entries match "
          f"(torch {torch.__version__})")


if __name__ == "__main__":
    main()
