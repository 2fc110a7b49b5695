# Does the official openai client accept the stream shape proposed for routed answers: the x-occam-route
# header at stream start and a final chunk {"choices": [], "occam": {...}} before [DONE]?
import json, threading
from http.server import BaseHTTPRequestHandler, HTTPServer
import openai

TRACE = {"route": "auto", "attempts": [{"model": "small", "cost": 1e-6, "energy_j": 0.2}], "cost": 1e-6,
         "energy_j": 0.2, "baseline_model": "big", "baseline_cost": 5e-5}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("x-occam-route", "route=auto; id=rt-1; path=rules:pass,cascade:tiers; plan=small>big")
        self.end_headers()
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "auto"}
        chunks = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": "hel"}, "finish_reason": None}]),
                  dict(base, choices=[{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]),
                  dict(base, choices=[], usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
                  dict(base, choices=[], occam=TRACE)]
        for c in chunks:
            self.wfile.write(b"data: " + json.dumps(c).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")

srv = HTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
client = openai.OpenAI(base_url=f"http://127.0.0.1:{srv.server_port}/v1", api_key="x")
raw = client.chat.completions.with_raw_response.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                                       stream=True, stream_options={"include_usage": True})
print("x-occam-route:", raw.headers.get("x-occam-route"))
text, trace = "", None
for chunk in raw.parse():
    for c in chunk.choices:
        text += c.delta.content or ""
    extra = getattr(chunk, "model_extra", None) or {}
    if "occam" in extra:
        trace = extra["occam"]
print("text:", text, "| trace from last chunk:", json.dumps(trace))
print("openai", openai.__version__)
assert text == "hello" and trace == TRACE
print("OK")
