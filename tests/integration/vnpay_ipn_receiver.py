#!/usr/bin/env python3
"""tests/integration/vnpay_ipn_receiver.py — a merchant's IPN endpoint for test_payment_standin.sh (stdlib only).

  vnpay_ipn_receiver.py PORT LOG_FILE

GET /ipn?...    appends {"query": "<raw query>"} as one JSON line to LOG_FILE, then answers the next scripted answer:
                "00", "02", "99"... → 200 {"RspCode": code, "Message": "..."}; "http500" → 500 with that JSON of 00;
                "notjson" → 200 text/plain. When the script is empty: 00.
POST /script    body: answers separated by spaces (replaces the script) → 204.
GET /healthz    → 200.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
script = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/healthz":
            return self.answer(200, "ok", "text/plain")
        if path != "/ipn":
            return self.answer(404, "{}")
        with lock:
            with open(sys.argv[2], "a") as f:
                f.write(json.dumps({"query": query}) + "\n")
            step = script.pop(0) if script else "00"
        if step == "notjson":
            return self.answer(200, "OK", "text/plain")
        code = "00" if step == "http500" else step
        self.answer(500 if step == "http500" else 200, json.dumps({"RspCode": code, "Message": "answer " + step}))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        if self.path != "/script":
            return self.answer(404, "{}")
        with lock:
            script[:] = body.split()
        self.send_response(204)
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
