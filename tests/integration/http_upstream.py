# http_upstream.py LOG PLAIN_PORT TLS_PORT MTLS_PORT CERT KEY CA — a partner's HTTP/1.1 server for the outbound HTTP
# tests, on 127.0.0.1 only: cleartext on PLAIN_PORT, TLS (CERT/KEY) on TLS_PORT, and TLS that requires a client
# certificate issued by CA on MTLS_PORT. Each request's arrival is appended to LOG ("PORT METHOD PATH") before it is
# answered. Paths:
#   /status/N        answers status N, body "status N", header X-Test: upstream
#   /echo            answers "METHOD\nX-Test header\nContent-Type\nbody"
#   /slow?ms=N       waits N ms, then answers "slow"
#   /big?bytes=N[&chunked=1]   N bytes of "x", with a Content-Length or chunked
#   /headers?n=N     N response headers of 1,000 bytes each
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

log_file, plain_port, tls_port, mtls_port, cert, key, ca = sys.argv[1:8]
log_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Test", "upstream")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with log_lock, open(log_file, "a") as f:
            f.write("%d %s %s\n" % (self.server.server_address[1], self.command, url.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path.startswith("/status/"):
            status = int(url.path.split("/")[2])
            self.answer(status, b"status %d" % status)
        elif url.path == "/echo":
            text = "%s\n%s\n%s\n" % (self.command, self.headers.get("X-Test", ""), self.headers.get("Content-Type", ""))
            self.answer(200, text.encode() + body)
        elif url.path == "/slow":
            time.sleep(int(query.get("ms", "1000")) / 1000)
            self.answer(200, b"slow")
        elif url.path == "/big":
            n = int(query.get("bytes", "0"))
            if query.get("chunked"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for at in range(0, n, 8192):
                    piece = b"x" * min(8192, n - at)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.answer(200, b"x" * n)
        elif url.path == "/headers":
            self.answer(200, b"many", [("X-Filler-%d" % i, "f" * 1000) for i in range(int(query.get("n", "1")))])
        else:
            self.answer(404, b"no such path")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def serve(port, context=None):
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def tls_context(require_client_cert):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca)
    return context


serve(plain_port)
serve(tls_port, tls_context(False))
serve(mtls_port, tls_context(True))
with open(log_file, "a") as f:
    f.write("ready\n")
threading.Event().wait(600)
