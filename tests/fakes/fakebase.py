"""The base every platform fake under tests/fakes/ stands on: a threaded HTTP
server on a loopback port it picks itself, a route table per fake, the
checks every platform makes (method, bearer token), paging, and a control
API through which a test tells the fake to fail, slow down, rate-limit or
drop a connection, and reads what the fake was sent.

Run a fake as `python3 tests/fakes/NAME.py [--port N] [--data DIR]`: it
prints `listening PORT` on its first line, then serves until killed.

Control API (JSON, under /_fake/, no auth; the fakes only listen on 127.0.0.1):
  POST /_fake/script  {"method": "POST", "path": "/api/v1/statuses", "times": 1,
                       "status": 503, "body": {...}, "headers": {...},
                       "delay_ms": 0, "drop": false, "after": false}
      The next `times` requests that match method and path prefix get that
      answer instead of the real one (or are slowed by delay_ms first, or
      have their connection dropped without an answer; with "after": true the
      real handler runs first, so an action is done and its answer lost).
  GET  /_fake/log     every request so far: [{method, path, query, headers, body_len,
                      body (text) or body_base64 (bytes), at (Unix time it arrived,
                      with its fraction), scripted (the script it met, when one did)}]
  POST /_fake/reset   forgets scripts and the log (state a fake keeps stays)
  POST /_fake/state   the fake's own extra controls (each fake documents them)
"""
import argparse
import base64
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Reply:
    def __init__(self, status=200, body=None, headers=None, raw=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        self.content_type = content_type


class Request:
    """What a route handler gets: method, path, query (dict of lists), headers,
    body bytes, json (parsed when the body is JSON), form (when it is a form)."""

    def __init__(self, handler, method, body):
        self.method = method
        parts = urllib.parse.urlsplit(handler.path)
        self.path = parts.path
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        self.headers = handler.headers
        self.body = body
        self.json = None
        self.form = {}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype == "application/json":
            try:
                self.json = json.loads(body)
            except ValueError:
                self.json = None
        elif body and ctype == "application/x-www-form-urlencoded":
            self.form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

    def arg(self, name, default=None):
        """A query or form field's first value."""
        if name in self.query:
            return self.query[name][0]
        if name in self.form:
            return self.form[name][0]
        return default

    def bearer(self):
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.startswith("Bearer ") else None


class Fake:
    """A platform fake: subclasses add routes with self.route(method, pattern, fn),
    where pattern's {name} parts match one path segment and reach fn as keywords."""

    name = "fake"

    def __init__(self, data_dir=None):
        self.data_dir = data_dir
        self.routes = []
        self.scripts = []
        self.log = []
        self.lock = threading.RLock()

    def route(self, method, pattern, fn):
        self.routes.append((method, pattern.strip("/").split("/"), fn))

    def match(self, method, path):
        segs = path.strip("/").split("/")
        for m, pat, fn in self.routes:
            if m != method or len(pat) != len(segs):
                continue
            args = {}
            for p, s in zip(pat, segs):
                if p.startswith("{") and p.endswith("}"):
                    args[p[1:-1]] = urllib.parse.unquote(s)
                elif p != s:
                    break
            else:
                return fn, args
        return None, None

    def not_found(self, req):
        return Reply(404, {"error": "not found: %s %s" % (req.method, req.path)})

    def control(self, req):
        if req.path == "/_fake/log":
            with self.lock:
                return Reply(200, list(self.log))
        if req.path == "/_fake/reset":
            with self.lock:
                self.scripts.clear()
                self.log.clear()
            return Reply(200, {"ok": True})
        if req.path == "/_fake/script":
            s = req.json or {}
            s.setdefault("times", 1)
            with self.lock:
                self.scripts.append(s)
            return Reply(200, {"ok": True})
        if req.path == "/_fake/state":
            return self.state(req)
        return Reply(404, {"error": "no such control"})

    def state(self, req):
        return Reply(404, {"error": "this fake has no state controls"})

    def take_script(self, req):
        with self.lock:
            for s in self.scripts:
                if s.get("method", req.method) == req.method and req.path.startswith(s.get("path", "/")):
                    s["times"] -= 1
                    if s["times"] <= 0:
                        self.scripts.remove(s)
                    return s
        return None

    def data(self, *parts):
        """A file under the data directory (../shared/data), or None when absent."""
        if not self.data_dir:
            return None
        p = os.path.join(self.data_dir, *parts)
        return p if os.path.exists(p) else None


def page(items, cursor, limit, max_limit):
    """One page of a list: (the items, the next cursor or None). cursor is an
    index into items as text ("" or None: the start)."""
    start = int(cursor or 0)
    limit = max(1, min(int(limit or max_limit), max_limit))
    chunk = items[start:start + limit]
    nxt = str(start + limit) if start + limit < len(items) else None
    return chunk, nxt


def make_handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body leave in two writes: without TCP_NODELAY
        # a kept-alive connection's next answer waits out the client's
        # delayed ACK (40 ms here), which no platform makes its clients do.
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def handle_any(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            req = Request(self, method, body)
            if req.path.startswith("/_fake/"):
                return self.send(fake.control(req))
            entry = {"method": method, "path": req.path, "query": req.query,
                     "headers": dict(self.headers.items()), "body_len": len(body),
                     "at": time.time()}
            try:  # text as text; bytes (an image) as base64, so any JSON reader takes the log
                if b"\0" in body:
                    raise UnicodeError
                entry["body"] = body.decode("utf-8")
            except UnicodeError:
                entry["body_base64"] = base64.b64encode(body).decode()
            with fake.lock:
                fake.log.append(entry)
            script = fake.take_script(req) or {}
            if script:  # what the test made of this request, in its log entry
                with fake.lock:
                    entry["scripted"] = {k: v for k, v in script.items() if k != "times"}
            if script.get("delay_ms"):
                time.sleep(script["delay_ms"] / 1000.0)
            if script.get("after"):
                reply = self.run(req)  # done at the platform...
                if script.get("drop"):
                    return self.drop()  # ...and its answer lost
                return self.send(reply)
            if script.get("drop"):
                return self.drop()
            if "status" in script:
                return self.send(Reply(script["status"], script.get("body"), script.get("headers")))
            return self.send(self.run(req))

        def run(self, req):
            fn, args = fake.match(req.method, req.path)
            if not fn:
                return fake.not_found(req)
            try:
                return fn(req, **args)
            except Exception as e:  # a fake's own bug: say so loudly, as a 500
                import traceback
                traceback.print_exc()
                return Reply(500, {"error": "fake failed: %r" % e})

        def drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def send(self, reply):
            if reply.raw is not None:
                data = reply.raw if isinstance(reply.raw, bytes) else reply.raw.encode()
            elif reply.body is None:
                data = b""
            else:
                data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            if data:
                self.send_header("Content-Type", reply.content_type)
            for k, v in reply.headers.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PUT(self):
            self.handle_any("PUT")

        def do_DELETE(self):
            self.handle_any("DELETE")

        def do_PATCH(self):
            self.handle_any("PATCH")

    return Handler


def main(fake_class):
    ap = argparse.ArgumentParser(description=fake_class.__doc__)
    ap.add_argument("--port", type=int, default=0)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "..", "shared", "data"))
    a = ap.parse_args()
    fake = fake_class(a.data if os.path.isdir(a.data) else None)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(fake))
    srv.daemon_threads = True
    print("listening %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit("run a platform's fake, not the base")
