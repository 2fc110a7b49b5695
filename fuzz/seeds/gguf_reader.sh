#!/usr/bin/env bash
# fuzz/seeds/gguf_reader.sh CORPUS_DIR: seeds of at most 64 KB from the small shared models.
#   shrunk-*   each of models/stories260K.gguf and models/tiny/*.gguf with its header and metadata
#              unchanged and every tensor cut to one block (valid files: the fuzzer reaches the tensor
#              checks and the writer round trip);
#   head-*     the first bytes of each model and of the small vocab files (header, metadata, tensor
#              infos, a little data: truncated, so they exercise the error paths);
#   edge-*     hand-made files: every metadata type, nested and empty arrays, every tensor type,
#              alignment 64, a v2 header.
set -euo pipefail
corpus="${1:?usage: fuzz/seeds/gguf_reader.sh CORPUS_DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${OCCAM_SHARED:-$(cd "$root/.." && pwd)/shared}"
mkdir -p "$corpus"
python3 - "$shared" "$corpus" <<'PY'
import glob, os, struct, sys

shared, corpus = sys.argv[1], sys.argv[2]
LIMIT = 64 * 1024
FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
# ggml type id -> (block size, bytes per block), as in src/gguf/types.cpp
TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
         10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
         16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
         22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
         29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66)}

def u32(b, p): return struct.unpack_from("<I", b, p)[0]
def u64(b, p): return struct.unpack_from("<Q", b, p)[0]
def pad(n, a): return (a - n % a) % a
def gstr(s): return struct.pack("<Q", len(s)) + s

def skip_value(b, p, t):
    if t in FIXED: return p + FIXED[t]
    if t == 8: return p + 8 + u64(b, p)
    et, n = u32(b, p), u64(b, p + 4)
    p += 12
    if et in FIXED: return p + n * FIXED[et]
    for _ in range(n): p = skip_value(b, p, et)
    return p

def write(name, data):
    with open(os.path.join(corpus, name), "wb") as f:
        f.write(data[:LIMIT])

def shrink(path):
    b = open(path, "rb").read()
    n_tensors, n_kv = u64(b, 8), u64(b, 16)
    p, alignment = 24, 32
    for _ in range(n_kv):
        klen = u64(b, p); key = b[p + 8:p + 8 + klen]; p += 8 + klen
        t = u32(b, p); p += 4
        if key == b"general.alignment": alignment = u32(b, p)
        p = skip_value(b, p, t)
    meta = b[:p]
    infos, data = b"", b""
    for _ in range(n_tensors):
        nlen = u64(b, p); name = b[p + 8:p + 8 + nlen]; p += 8 + nlen
        n_dims = u32(b, p); p += 4 + 8 * n_dims
        ttype, offset = u32(b, p), u64(b, p + 4); p += 12
        block, size = TYPES[ttype]
        infos += gstr(name) + struct.pack("<I", n_dims) + struct.pack("<Q", block)
        infos += struct.pack("<Q", 1) * (n_dims - 1) + struct.pack("<IQ", ttype, len(data))
        data += bytes(size) + bytes(pad(size, alignment))
    header = meta + infos
    return header + bytes(pad(len(header), alignment)) + data, b[:min(len(b), p + pad(p, alignment) + 1024)]

models = [os.path.join(shared, "models", "stories260K.gguf")] + sorted(glob.glob(os.path.join(shared, "models", "tiny", "*.gguf")))
for path in models:
    base = os.path.basename(path)[:-5]
    shrunk, head = shrink(path)
    write("shrunk-" + base, shrunk)
    write("head-" + base, head)
for path in sorted(glob.glob(os.path.join(shared, "reference", "tokenizer", "ggml-vocab-*.gguf"))):
    if os.path.getsize(path) < 2_000_000:
        write("head-" + os.path.basename(path)[:-5], open(path, "rb").read(LIMIT))

def kv(key, t, payload): return gstr(key) + struct.pack("<I", t) + payload
def arr(et, items, enc): return struct.pack("<IQ", et, len(items)) + b"".join(enc(x) for x in items)

def edge(version=3, alignment=None, with_tensors=True):
    kvs = [kv(b"general.architecture", 8, gstr(b"llama")),
           kv(b"u8", 0, b"\xff"), kv(b"i8", 1, b"\x80"), kv(b"u16", 2, struct.pack("<H", 65535)),
           kv(b"i16", 3, struct.pack("<h", -1)), kv(b"u32", 4, struct.pack("<I", 7)),
           kv(b"i32", 5, struct.pack("<i", -7)), kv(b"f32", 6, struct.pack("<f", 1e-5)),
           kv(b"bool", 7, b"\x01"), kv(b"str", 8, gstr("h\u00e9".encode())), kv(b"u64", 10, struct.pack("<Q", 1 << 40)),
           kv(b"i64", 11, struct.pack("<q", -(1 << 40))), kv(b"f64", 12, struct.pack("<d", 0.5)),
           kv(b"tokens", 9, arr(8, [b"a", b"", b"<s>"], gstr)),
           kv(b"ids", 9, arr(5, [1, -2, 3], lambda x: struct.pack("<i", x))),
           kv(b"empty", 9, arr(6, [], None)),
           kv(b"nested", 9, arr(9, [arr(8, [b"x"], gstr), arr(4, [], None)], lambda x: x))]
    if alignment: kvs.append(kv(b"general.alignment", 4, struct.pack("<I", alignment)))
    align = alignment or 32
    infos, data, n = b"", b"", 0
    if with_tensors:
        for tid, (block, size) in sorted(TYPES.items()):
            name = ("t%d" % tid).encode()
            infos += gstr(name) + struct.pack("<IQQ", 2, block, 2) + struct.pack("<IQ", tid, len(data))
            data += bytes(range(256))[: 2 * size % 256] + bytes(2 * size - 2 * size % 256) + bytes(pad(2 * size, align))
            n += 1
    header = b"GGUF" + struct.pack("<IQQ", version, n, len(kvs)) + b"".join(kvs) + infos
    return header + bytes(pad(len(header), align)) + data

write("edge-all-types", edge())
write("edge-align64", edge(alignment=64))
write("edge-v2-metadata-only", edge(version=2, with_tensors=False))
PY
echo "gguf_reader seeds: $(ls "$corpus" | wc -l) files in $corpus"
