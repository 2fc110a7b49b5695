#!/usr/bin/python3
"""A SCRIPTED stand-in for a tool-calling LLM, so that the agent example runs offline.

It is not a language model: it speaks the OpenAI chat-completions API (what occam's `remote` backend
calls) and follows one fixed script, enough to drive the agent loop end to end (thought -> action ->
observation -> answer, durable tool calls, budgets):
  - the user names tickets (T-1234) and tools are offered: call the first tool with {"ticket_id": ...} for
    the next ticket not looked up yet (one per turn);
  - every ticket looked up: answer in one sentence from the tool results;
  - no ticket named: ask for its id.
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


def describe(content):
    """One clause from a tool's answer (the built-in lookup answers {found, key, value})."""
    try:
        facts = json.loads(content or "{}")
    except json.JSONDecodeError:
        return content
    if "error" in facts:
        return f"could not be looked up ({facts['error']})"
    if facts.get("found") is False:
        return f"{facts.get('key', 'the ticket')} does not exist"
    key, facts = facts.get("key", "the ticket"), facts.get("value", facts)
    details = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in facts.items() if k != "status")
    return f"{key} is {facts.get('status', 'unknown')}" + (f" ({details})" if details else "")


def reply(request):
    messages = request.get("messages", [])
    user = " ".join(m.get("content") or "" for m in messages if m.get("role") == "user")
    wanted = list(dict.fromkeys(re.findall(r"\bT-\d+\b", user)))  # in order, once each
    asked = {json.loads(c["function"]["arguments"]).get("ticket_id")
             for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []}
    tools = request.get("tools") or []
    remaining = [t for t in wanted if t not in asked]
    if remaining and tools:  # one lookup per turn, so that several tickets show the step budget
        name = tools[0]["function"]["name"]
        call = {"id": f"call_{len(asked)}", "type": "function",
                "function": {"name": name, "arguments": json.dumps({"ticket_id": remaining[0]})}}
        return {"content": f"I should look up ticket {remaining[0]} with {name}.", "tool_calls": [call]}
    observations = [describe(m.get("content")) for m in messages if m.get("role") == "tool"]
    if observations:
        return {"content": "; ".join(observations) + "."}
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
