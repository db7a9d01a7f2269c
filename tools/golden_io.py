"""The safetensors writer shared by the golden scripts in tools/.

The safetensors Python package is not available here, so files are written from
the published format with struct + json alone."""

import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    """8-byte little-endian header length, JSON header, then the raw bytes.

    Like the reference writer, the bytes go by dtype, widest first (so every
    tensor is aligned to its element size), then by name."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    order = {torch.int64: 0, torch.float64: 1, torch.float32: 2}
    for name, t in sorted(tensors.items(), key=lambda kv: (order[kv[1].dtype], kv[0])):
        t = t.detach().contiguous().cpu()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def metadata(generator, **extra):
    """The metadata every golden carries: the script that wrote it, the torch
    version, and `extra` as strings."""
    meta = {"generator": generator, "torch_version": torch.__version__}
    meta.update({k: str(v) for k, v in extra.items()})
    return meta
