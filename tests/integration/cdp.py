#!/usr/bin/env python3
"""A page driven in headless Chromium over the DevTools protocol (standard library only: a minimal WebSocket client).

    python3 cdp.py DEVTOOLS_PORT EXPRESSION [TIMEOUT_S]

evaluates the JavaScript EXPRESSION in the browser's first page and prints its value (JSON), retrying every 100 ms until
it is truthy or TIMEOUT_S (default 20) have passed (then prints the last value and exits 1). Used by test_payments.sh to
press a button on the stand-in payment page and to read cong's return page after the redirect.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


def page_ws(port):
    for _ in range(100):
        try:
            pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=2))
            for p in pages:
                if p.get("type") == "page" and "webSocketDebuggerUrl" in p:
                    return p["webSocketDebuggerUrl"]
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("no page in Chromium on port %d" % port)


class WebSocket:
    def __init__(self, url):
        host, path = url[len("ws://"):].split("/", 1)
        name, port = host.split(":")
        self.sock = socket.create_connection((name, int(port)), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit("WebSocket refused: %r" % head)

    def send(self, text):
        data, mask = text.encode(), os.urandom(4)
        n = len(data)
        header = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise SystemExit("WebSocket closed")
            out += chunk
        return out

    def recv(self):
        first, second = self._exact(2)
        n = second & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        return first & 0x0F, self._exact(n)


def evaluate(ws, expression, ident):
    ws.send(json.dumps({"id": ident, "method": "Runtime.evaluate",
                        "params": {"expression": expression, "returnByValue": True}}))
    while True:
        opcode, data = ws.recv()
        if opcode == 1:
            message = json.loads(data)
            if message.get("id") == ident:
                return message.get("result", {}).get("result", {}).get("value")


def main():
    port, expression = int(sys.argv[1]), sys.argv[2]
    deadline = time.time() + (float(sys.argv[3]) if len(sys.argv) > 3 else 20)
    value, ident = None, 0
    while time.time() < deadline:
        ident += 1
        try:
            ws = WebSocket(page_ws(port))  # a new connection each time: a navigation may replace the page's target
            value = evaluate(ws, expression, ident)
            ws.sock.close()
        except (OSError, SystemExit):
            value = None
        if value:
            print(json.dumps(value))
            return 0
        time.sleep(0.1)
    print(json.dumps(value))
    return 1


if __name__ == "__main__":
    sys.exit(main())
