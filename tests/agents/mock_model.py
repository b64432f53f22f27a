#!/usr/bin/env python3
"""A scripted model server for driving real coding-agent CLIs offline.

Speaks the subset of two APIs that the agent CLIs use, with SSE streaming:

* OpenAI Responses API (`POST /v1/responses`), for Codex: answers with
  `exec_command` function calls (a shell command that writes a file);
* Anthropic Messages API (`POST /v1/messages`), for Claude Code: answers with
  `Read` then `Write` tool_use blocks (absolute paths in the agent's working
  directory, which its system prompt names).

What to write comes from a scenario file (JSON):

    {"tasks": {"TSK-1": {"files": [{"path": "src/a.py", "content": "..."}],
                         "first": [{"path": "src/a.py", "content": "..."}]}}}

The task is the id after "SmartSpec task " in the request's text. `first`,
when present, is what a first attempt writes (wrong on purpose); once the
prompt carries "## What is still missing" (smartspec-batch's retry prompt) the
server writes `files`. Stateless: the next step is chosen from the number of
tool results already in the request, so a client retry gets the same answer.
After the last file a text message ends the turn.

Bounded: listens on 127.0.0.1 only, exits after --max-requests requests or
--max-seconds seconds, whichever comes first. The chosen port is written to
--port-file; each request is appended to --log as one JSON line
({"api", "task", "attempt", "tool_results", "reply"}).
"""

import argparse
import json
import os
import re
import shlex
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RETRY_MARKER = "## What is still missing"
TASK_RE = re.compile(r"SmartSpec tasks? ([A-Za-z0-9_.-]+)")
CWD_RE = re.compile(r"(?:Primary working directory|Working directory): *(\S+)")


def texts(value):
    """Every string inside a JSON value (the request's prompt text, wherever it is)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from texts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from texts(v)


class Script:
    def __init__(self, scenario):
        self.tasks = scenario.get("tasks", {})

    def plan(self, body_text):
        """(task id, attempt, files to write) for a request's text."""
        task = None
        for m in TASK_RE.finditer(body_text):
            if m.group(1) in self.tasks:
                task = m.group(1)
                break
        if task is None:
            return None, 0, []
        spec = self.tasks[task]
        retry = RETRY_MARKER in body_text
        if not retry and "first" in spec:
            return task, 1, spec["first"]
        return task, 2 if retry else 1, spec.get("files", [])


def sse(event, data, named):
    head = f"event: {event}\n" if named else ""
    return (head + "data: " + json.dumps(data) + "\n\n").encode()


# ----------------------------------------------------------------- Responses API
def codex_steps(files):
    """One exec_command per file: mkdir + base64-decoded content."""
    import base64

    steps = []
    for f in files:
        path = f["path"]
        data = base64.b64encode(f["content"].encode()).decode()
        d = os.path.dirname(path)
        cmd = (f"mkdir -p {shlex.quote(d)} && " if d else "") + \
              f"printf %s {shlex.quote(data)} | base64 -d > {shlex.quote(path)}"
        steps.append(cmd)
    return steps


def responses_reply(body, script, n_req):
    items = body.get("input", [])
    results = sum(1 for it in items if isinstance(it, dict) and
                  it.get("type") in ("function_call_output", "custom_tool_call_output"))
    task, attempt, files = script.plan("\n".join(texts(items)) + "\n" + str(body.get("instructions", "")))
    steps = codex_steps(files)
    rid = f"resp_{n_req}"
    if results < len(steps):
        item = {"type": "function_call", "id": f"fc_{n_req}", "call_id": f"call_{n_req}",
                "name": "exec_command", "arguments": json.dumps({"cmd": steps[results]})}
        reply = "exec_command " + files[results]["path"]
    else:
        msg = f"Done: {task} written." if task else "Nothing to do."
        item = {"type": "message", "role": "assistant", "id": f"msg_{n_req}",
                "content": [{"type": "output_text", "text": msg, "annotations": []}]}
        reply = "message"
    usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": 20}
    out = b""
    out += sse("response.created", {"type": "response.created", "response": {"id": rid}}, True)
    out += sse("response.output_item.done",
               {"type": "response.output_item.done", "output_index": 0, "item": item}, True)
    out += sse("response.completed",
               {"type": "response.completed", "response": {"id": rid, "usage": usage}}, True)
    last = ""
    for it in items:
        if isinstance(it, dict) and it.get("type") == "function_call_output":
            last = " ".join(texts(it.get("output", "")))[:300]
    return out, {"api": "responses", "task": task, "attempt": attempt,
                 "tool_results": results, "reply": reply, "last_result": last}


# ----------------------------------------------------------------- Messages API
def messages_reply(body, script, n_req):
    messages = body.get("messages", [])
    results = 0
    for m in messages:
        if m.get("role") == "user" and isinstance(m.get("content"), list):
            results += sum(1 for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result")
    alltext = "\n".join(texts(messages)) + "\n" + "\n".join(texts(body.get("system", "")))
    task, attempt, files = script.plan("\n".join(texts(messages)))
    cwd_match = CWD_RE.search(alltext)
    cwd = cwd_match.group(1) if cwd_match else None
    # Read before Write (Claude Code refuses to overwrite a file it has not read).
    steps = []
    if cwd and body.get("tools"):
        for f in files:
            absolute = os.path.join(cwd, f["path"])
            steps.append(("Read", {"file_path": absolute}, f["path"]))
            steps.append(("Write", {"file_path": absolute, "content": f["content"]}, f["path"]))
    mid = f"msg_{n_req}"
    out = sse("message_start", {"type": "message_start", "message": {
        "id": mid, "type": "message", "role": "assistant", "model": body.get("model", "mock"),
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1}}}, True)
    if results < len(steps):
        name, inp, rel = steps[results]
        out += sse("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "tool_use", "id": f"toolu_{n_req}",
                                                             "name": name, "input": {}}}, True)
        out += sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "input_json_delta",
                                                     "partial_json": json.dumps(inp)}}, True)
        stop = "tool_use"
        reply = f"{name} {rel}"
    else:
        msg = f"Done: {task} written." if task else "OK."
        out += sse("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}}, True)
        out += sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": msg}}, True)
        stop = "end_turn"
        reply = "message"
    out += sse("content_block_stop", {"type": "content_block_stop", "index": 0}, True)
    out += sse("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": stop, "stop_sequence": None},
                                 "usage": {"output_tokens": 10}}, True)
    out += sse("message_stop", {"type": "message_stop"}, True)
    last = ""
    if messages and isinstance(messages[-1].get("content"), list):
        for b in messages[-1]["content"]:
            if isinstance(b, dict) and b.get("type") == "tool_result":
                last = " ".join(texts(b.get("content", "")))[:300]
    return out, {"api": "messages", "task": task, "attempt": attempt, "tool_results": results,
                 "reply": reply, "cwd": cwd, "last_result": last}


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-requests", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()
    with open(args.scenario, encoding="utf-8") as f:
        script = Script(json.load(f))
    lock = threading.Lock()
    state = {"n": 0}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _send(self, code, ctype, payload):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True

        def do_GET(self):
            self._send(404, "application/json", b'{"error":"not found"}')

        def do_HEAD(self):
            self._send(200, "text/plain", b"")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            with lock:
                state["n"] += 1
                n = state["n"]
            path = self.path.split("?")[0]
            if path.endswith("/responses"):
                payload, entry = responses_reply(body, script, n)
            elif path.endswith("/messages"):
                payload, entry = messages_reply(body, script, n)
            elif path.endswith("/count_tokens"):
                self._send(200, "application/json", b'{"input_tokens": 10}')
                entry = None
                payload = None
            else:
                self._send(404, "application/json", b'{"error":"not found"}')
                entry = {"api": "unknown", "path": path}
                payload = None
            if payload is not None:
                self._send(200, "text/event-stream", payload)
            if entry is not None:
                entry["path"] = path
                with lock, open(args.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")
            if n >= args.max_requests:
                done.set()

    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, args.port_file)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    done.wait(args.max_seconds)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
