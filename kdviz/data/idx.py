"""The IDX file format of MNIST and Fashion-MNIST, read into NumPy arrays, gzipped or plain.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian 32-bit size per dimension, then the values, big-endian, in C order. ``read_idx``
checks each part and raises IdxError (a ValueError) naming the file and what is wrong with it:
not an IDX file, an unknown type code, a truncated file, bytes left over.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}  # IDX type code -> big-endian dtype
GZIP_MAGIC = b"\x1f\x8b"


class IdxError(ValueError):
    """A file that is not a readable IDX file; the message names the file and the problem."""


def read_idx(path: str | Path) -> np.ndarray:
    """The array an IDX file holds (gzipped or not, told from its first bytes), in native byte order."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise IdxError(f"{path}: cannot be read ({e})") from None
    return parse_idx(raw, str(path))


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an IDX file (``name`` is what messages call it)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxError(f"{name}: not an IDX file (its first bytes are {raw[:4].hex() or 'missing'}, "
                       "expected 0000 then a type code and a dimension count)")
    code, ndim = raw[2], raw[3]
    if code not in TYPES:
        raise IdxError(f"{name}: unknown IDX type code 0x{code:02x} (expected one of "
                       f"{', '.join(f'0x{c:02x}' for c in TYPES)})")
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise IdxError(f"{name}: truncated header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise IdxError(f"{name}: truncated: its header says {'x'.join(map(str, shape))} values "
                       f"({expected:,} bytes) but {found:,} bytes follow")
    if found > expected:
        raise IdxError(f"{name}: {found - expected:,} bytes beyond the {'x'.join(map(str, shape))} values its header "
                       "announces (not one IDX file?)")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=False)
