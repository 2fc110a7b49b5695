#!/usr/bin/python3
"""A SCRIPTED stand-in for a tool-calling LLM, so that the agent example runs offline.

It is not a language model: it speaks the OpenAI chat-completions API (what occam's `remote` backend
calls) and follows one fixed script, enough to drive the agent loop end to end (thought -> action ->
observation -> answer, durable tool calls, budgets):
  - the last message is a tool result: answer in one sentence from it;
  - the user names a ticket (T-1234) and tools are offered: call the first tool with {"ticket_id": ...};
  - otherwise: ask for a ticket id.
occam's embedded engine does not do tool calls yet; for a real model point `big` in occam.yaml at Mistral
(or a llama.cpp server started with --jinja).

  python3 examples/agent/scripted_llm.py --port 8082
"""
import argparse
import json
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tokens(text):
    return max(1, len(text) // 4)  # the usual ~4 bytes per token: enough for the cost budget


def reply(request):
    messages = request.get("messages", [])
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        try:
            facts = json.loads(last.get("content") or "{}")
        except json.JSONDecodeError:
            facts = {"answer": last.get("content")}
        if "error" in facts:
            return {"content": f"I could not look the ticket up: {facts['error']}."}
        if facts.get("found") is False:
            return {"content": f"I found no ticket {facts.get('key', '')}."}
        facts = facts.get("value", facts)  # the built-in lookup answers {found, key, value}
        details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in facts.items() if k != "status")
        return {"content": f"Your ticket is {facts.get('status', 'unknown')}" + (f" ({details})." if details else ".")}
    user = " ".join(m.get("content") or "" for m in messages if m.get("role") == "user")
    match = re.search(r"\bT-\d+\b", user)
    tools = request.get("tools") or []
    if match and tools:
        name = tools[0]["function"]["name"]
        call = {"id": f"call_{int(time.time() * 1e6) % 10**9}", "type": "function",
                "function": {"name": name, "arguments": json.dumps({"ticket_id": match.group(0)})}}
        return {"content": f"I should look up ticket {match.group(0)} with {name}.", "tool_calls": [call]}
    return {"content": "Which ticket is it? Please give its id, e.g. T-1042."}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        message = {"role": "assistant", **reply(request)}
        prompt = sum(tokens(m.get("content") or "") for m in request.get("messages", []))
        completion = tokens(message["content"])
        body = json.dumps({
            "id": f"chatcmpl-scripted-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
            "model": request.get("model", "scripted"),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: the example's output is occam's
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8082)
    a = ap.parse_args()
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
