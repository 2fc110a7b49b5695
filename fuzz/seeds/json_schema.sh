#!/usr/bin/env bash
# fuzz/seeds/json_schema.sh CORPUS_DIR: seeds for fuzz_json_schema: one walk-seed byte, then a JSON
# schema using each supported feature (objects, required, additionalProperties, arrays, bounds, enum,
# const, anyOf, oneOf, type lists, nullable, $ref to $defs) and some refused ones (pattern, allOf).
set -euo pipefail
corpus="${1:?usage: fuzz/seeds/json_schema.sh CORPUS_DIR}"
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
schemas = [
  {"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 5},
   "age": {"type": "integer", "minimum": 0, "maximum": 120}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
   "addr": {"$ref": "#/$defs/addr"}, "x": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMaximum": 5}]}},
   "required": ["name"], "additionalProperties": False,
   "$defs": {"addr": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
  {"type": "object"}, {"type": "object", "additionalProperties": {"type": "integer"}}, {}, True,
  {"type": "array", "items": {"type": "number", "minimum": -1.5, "maximum": 2.25}, "minItems": 1},
  {"enum": ["red", 1, None, {"k": [1, "x"]}, 12, 1.5]}, {"const": "caf\u00e9"},
  {"type": ["string", "null"], "maxLength": 3}, {"type": "string", "nullable": True},
  {"oneOf": [{"type": "string"}, {"type": "integer", "exclusiveMinimum": 3}, {"type": "boolean"}]},
  {"anyOf": [{"type": "object", "properties": {"k": {"const": 1}, "a": {"type": "string"}}, "required": ["k"]},
             {"type": "object", "properties": {"k": {"const": 2}, "b": {"type": "integer"}}, "required": ["k"]}]},
  {"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}, "ab": {"type": "boolean"}}},
  {"type": "string", "pattern": "^a"}, {"allOf": [{"type": "string"}]},
  {"type": "integer", "minimum": 10, "maximum": 20}, {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
]
for i, s in enumerate(schemas):
    for seed in (0, 7):
        data = bytes([seed]) + json.dumps(s).encode()
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
print(f"json_schema seeds: {2 * len(schemas)} files in {out}")
PY
