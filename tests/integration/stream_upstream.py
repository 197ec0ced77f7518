# stream_upstream.py PORT LOG — a partner's HTTP/1.1 server for the streamed-body tests (test_proxy_stream.sh), on
# 127.0.0.1 only. Reads request bodies as they come (Content-Length or chunked), never holding more than a piece:
#   POST /sha[?delay_ms=N]   answers {"bytes": N, "sha256": "..."} of the body; with delay_ms, waits N ms after each
#                            64 KiB it reads (a slow reader: the gateway must hold the client back, not buffer)
#   GET /big?bytes=N         N bytes of a repeating pattern, Content-Length, written 64 KiB at a time
#   GET /ready               200
# Each whole body read is appended to LOG as "BYTES SHA256" (a body that broke off is not).
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PIECE = 65536
PATTERN = bytes(range(256)) * (PIECE // 256)


def pattern_bytes(n):
    """The first n bytes of /big's body (tests compute its sha256 the same way)."""
    out = bytearray()
    while len(out) < n:
        out += PATTERN[: n - len(out)]
    return bytes(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)

    def pieces(self):
        """The request body, piece by piece."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left > 0:
                    data = self.rfile.read(min(PIECE, left))
                    if not data:
                        raise ConnectionError("body broke off")
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                data = self.rfile.read(min(PIECE, left))
                if not data:
                    raise ConnectionError("body broke off")
                left -= len(data)
                yield data

    def do_POST(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        delay = int(query.get("delay_ms", "0")) / 1000
        digest, count, since = hashlib.sha256(), 0, 0
        try:
            for data in self.pieces():
                digest.update(data)
                count += len(data)
                since += len(data)
                if delay and since >= PIECE:
                    since = 0
                    time.sleep(delay)
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        with open(sys.argv[2], "a") as log:
            log.write("%d %s\n" % (count, digest.hexdigest()))
        self.answer(200, json.dumps({"bytes": count, "sha256": digest.hexdigest()}).encode())

    do_PUT = do_POST

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.endswith("/big"):
            n = int(query.get("bytes", "0"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            at = 0
            while at < n:
                piece = PATTERN[: min(PIECE, n - at)]
                self.wfile.write(piece)
                at += len(piece)
        else:
            self.answer(200, b"{}")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
