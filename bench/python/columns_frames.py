"""f32-columns binary frames (docs/protocol.md, "Column batches") for the ingest benchmark, written with numpy the
same way src/protocol/columns.ts writes them (test/emulate/columns-ingest.test.ts checks a frame of this encoder
against the TypeScript encoder's, byte for byte)."""
import struct

import numpy as np

MAGIC = b'TDCB'
VERSION = 1
FLAG_SEQ = 1
FLAG_DT = 2
HEADER = struct.Struct('<4sBBHIId')


def encode(batch, index, x, y, speed, angle, seq=None, t=None):
    """One frame. index: ints; x, y, speed, angle: numbers (rounded to float32); seq, t: None or a sequence with
    NaN where a row has none (as the TS encoder: a column is there when some row has a value; t0 = min t)."""
    n = len(index)
    flags = 0
    parts = [np.asarray(index, dtype='<u4').tobytes()]
    for col in (x, y, speed, angle):
        parts.append(np.asarray(col, dtype='<f4').tobytes())
    t0 = 0.0
    if seq is not None and np.any(~np.isnan(np.asarray(seq, dtype=np.float64))):
        flags |= FLAG_SEQ
        parts.append(np.asarray(seq, dtype='<f8').tobytes())
    if t is not None:
        tt = np.asarray(t, dtype=np.float64)
        if np.any(~np.isnan(tt)):
            flags |= FLAG_DT
            t0 = float(np.nanmin(tt))
            parts.append((tt - t0).astype('<f4').tobytes())
    return HEADER.pack(MAGIC, VERSION, flags, 0, batch & 0xFFFFFFFF, n, t0) + b''.join(parts)
