#!/usr/bin/env bash
# fuzz/seeds/request_body.sh CORPUS_DIR: seeds for fuzz_request_body. The first byte picks the parser
# (0 chat, 1 completions, 2 embeddings, 3 upstream answers); the rest is a JSON body: valid requests using
# every field (messages with parts and tool calls, tools, response_format schemas, stop, logprobs...), and
# upstream answers and stream chunks.
set -euo pipefail
corpus="${1:?usage: fuzz/seeds/request_body.sh CORPUS_DIR}"
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
schema = {"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 20},
          "age": {"type": "integer", "minimum": 0}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3},
          "addr": {"$ref": "#/$defs/addr"}, "x": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMaximum": 5}]}},
          "required": ["name"], "additionalProperties": False,
          "$defs": {"addr": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
msgs = [{"role": "system", "content": "Tu es un assistant."},
        {"role": "user", "content": [{"type": "text", "text": "Bonjour "}, {"type": "text", "text": "là"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "18°C"}]
tools = [{"type": "function", "function": {"name": "get_weather", "description": "d",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
chat = [
  {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
  {"model": "m", "messages": msgs, "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 5,
   "max_completion_tokens": 7, "temperature": 0.3, "top_p": 0.9, "seed": 1, "n": 2, "stop": ["\n", "END"],
   "logprobs": True, "top_logprobs": 3, "presence_penalty": 0.1, "frequency_penalty": -0.2, "user": "u"},
  {"model": "m", "messages": msgs, "tools": tools, "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
   "parallel_tool_calls": False},
  {"model": "m", "messages": msgs, "response_format": {"type": "json_schema", "json_schema": {"name": "p", "strict": True, "schema": schema}}},
  {"model": "m", "messages": [{"role": "developer", "content": "x"}, {"role": "user", "content": "y"}], "response_format": {"type": "json_object"}},
  {"model": "m", "messages": [{"role": "user", "content": 5}]},
]
completions = [{"model": "m", "prompt": "Once upon a time", "max_tokens": 16, "logprobs": 2, "echo": True, "stop": "."},
               {"model": "m", "prompt": ["p"], "best_of": 1, "suffix": ""}]
embeddings = [{"model": "e", "input": "bonjour"}, {"model": "e", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 8}]
answers = [
  {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, "message": {"role": "assistant",
   "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
   "finish_reason": "tool_calls", "logprobs": {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": [{"token": "b", "logprob": -2}]}]}}],
   "usage": {"prompt_tokens": 3, "completion_tokens": 4}},
  {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "He", "tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{\""}}]}}]},
  {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.1, -0.2]}], "usage": {"prompt_tokens": 2}},
  {"error": {"message": "boom"}},
]
def write(kind, obj):
    data = bytes([kind]) + json.dumps(obj, ensure_ascii=False).encode("utf-8")
    with open(os.path.join(out, f"{kind}-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)
for o in chat: write(0, o)
for o in completions: write(1, o)
for o in embeddings: write(2, o)
for o in answers: write(3, o)
PY
