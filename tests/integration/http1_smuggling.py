# http1_smuggling.py — a battery of HTTP/1.1 request-smuggling inputs (and the HTTP/2 side of the same: connection-
# specific headers, content-length against DATA) sent on raw sockets to 127.0.0.1, one connection per case, bounded
# in time. It prints one line per case and exits 1 if any case did not get what it expects:
#
#   refuse  exactly one response, a 400, then the connection closed: the sentinel request pipelined behind the case
#           ("GET <path>", and whatever a lenient parser would find in the body) is never answered;
#   one     the case is one request: one response that is not a 400, then a sentinel sent after it is answered on
#           the same connection, and nothing else (a body misframed by a byte would show up as an extra answer);
#   h2-malformed  (HTTP/2) RST_STREAM PROTOCOL_ERROR or a 400 on that stream (or GOAWAY PROTOCOL_ERROR: h2o makes a
#                 connection error of some), never another status;
#   h2-ok         (HTTP/2) a response that is not a 400 and no reset.
#
# Each line: NAME EXPECT GOT VERDICT, GOT like "400/cong closed" (problem+json: cong answered), "400/h2o closed"
# (h2o's own text/plain 400: the request never reached cong), "405,200 open", "none timeout" (nothing within the
# bound), "rst:PROTOCOL_ERROR", "goaway:PROTOCOL_ERROR".
#
#   python3 http1_smuggling.py --port P [--tls] [--path /healthz] [--only REGEX] [--timeout S]
#                              [--upstream-log FILE --marker smuggled]
#
# Through a proxy (cong in front of an upstream that appends "... METHOD PATH" per request to FILE, like
# tests/integration/http_upstream.py): --path is a proxied route and --upstream-log FILE makes every case also check
# that no request whose path holds the marker (the hidden/smuggled requests) reached the upstream, and that a refused
# case reached it not at all (FILE does not grow).
import argparse
import json
import re
import socket
import ssl
import struct
import sys
import time

SMUGGLED = "/smuggled"  # the hidden requests' path: never answered, never seen upstream


def http1_cases(path, host):
    """(name, expect, bytes) — the raw request; for "refuse" a sentinel GET is appended by the runner."""
    h = "Host: %s\r\n" % host
    hidden = "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (SMUGGLED, host)
    post = "POST %s HTTP/1.1\r\n%s" % (path, h)
    cases = [
        # control cases: well-framed requests are served and the connection kept
        ("control-get", "one", "GET %s HTTP/1.1\r\n%s\r\n" % (path, h)),
        ("control-content-length", "one", post + "Content-Length: 5\r\n\r\nhello"),
        ("control-chunked", "one", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("chunked-case-insensitive", "one", post + "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("te-leading-tab", "one", post + "Transfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-extension", "one", post + "Transfer-Encoding: chunked\r\n\r\n5;name=\"v a\"\r\nhello\r\n0\r\n\r\n"),
        ("chunked-trailer", "one", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
        ("hidden-request-covered-by-cl", "one",
         post + "Content-Length: %d\r\n\r\n%s" % (len(hidden), hidden)),
        ("hidden-request-in-chunk", "one",
         post + "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(hidden), hidden)),
        # "-trickled": sent a byte at a time, so that the head and every state of the chunked decoder see partial input
        ("control-chunked-trickled", "one",
         post + "Transfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
        ("bare-lf-after-chunk-data-trickled", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
        ("chunk-ext-ctl-trickled", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n0\r\n\r\n"),
        # Content-Length and Transfer-Encoding together, either order
        ("cl-then-te", "refuse", post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden),
        ("te-then-cl", "refuse", post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n" + hidden),
        ("cl-zero-and-te", "refuse",
         post + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(hidden), hidden)),
        # duplicate or malformed Content-Length
        ("two-cl-equal", "refuse", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("two-cl-different", "refuse",
         post + "Content-Length: 0\r\nContent-Length: %d\r\n\r\n%s" % (len(hidden), hidden)),
        ("cl-list", "refuse", post + "Content-Length: 5, 5\r\n\r\nhello"),
        ("cl-plus-sign", "refuse", post + "Content-Length: +5\r\n\r\nhello"),
        ("cl-minus-sign", "refuse", post + "Content-Length: -5\r\n\r\nhello"),
        ("cl-inner-space", "refuse", post + "Content-Length: 5 5\r\n\r\nhello"),
        ("cl-hex", "refuse", post + "Content-Length: 0x5\r\n\r\nhello"),
        ("cl-overflow", "refuse", post + "Content-Length: 18446744073709551621\r\n\r\nhello"),
        ("cl-empty", "refuse", post + "Content-Length: \r\n\r\nhello"),
        ("cl-space-before-colon", "refuse", post + "Content-Length : 5\r\n\r\nhello"),
        # Transfer-Encoding other than exactly "chunked"
        ("te-chunked-identity", "refuse", post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        ("te-identity-chunked", "refuse", post + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n"),
        ("te-gzip-chunked", "refuse", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        ("te-identity", "refuse", post + "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello"),
        ("te-xchunked", "refuse", post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        ("te-space-before-colon", "refuse", post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        ("te-two-lines", "refuse", post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("te-chunked-twice", "refuse",
         post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("te-obs-fold", "refuse", post + "Transfer-Encoding: chunked\r\n identity\r\n\r\n0\r\n\r\n"),
        ("cl-obs-fold", "refuse", post + "Content-Length: 0\r\n 5\r\n\r\nhello"),
        ("obs-fold-other-header", "refuse", post + "X-A: 1\r\n\t2\r\nContent-Length: 5\r\n\r\nhello"),
        ("te-in-http10", "refuse",
         "POST %s HTTP/1.0\r\n%sTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (path, h)),
        ("te-vertical-tab", "refuse", post + "Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n"),
        # line endings: bare LF and bare CR
        ("bare-lf-request-line", "refuse", "GET %s HTTP/1.1\n%s\r\n" % (path, h)),
        ("bare-lf-header", "refuse", "GET %s HTTP/1.1\r\nHost: %s\nX-A: 1\r\n\r\n" % (path, host)),
        ("bare-lf-end-of-head", "refuse", "GET %s HTTP/1.1\r\n%s\n" % (path, h)),
        ("bare-cr-header", "refuse", "GET %s HTTP/1.1\r\n%sX-A: 1\rX-B: 2\r\n\r\n" % (path, h)),
        ("bare-lf-chunk-size", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
        ("bare-lf-after-chunk-data", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
        ("bare-lf-last-chunk", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\n"),
        ("bare-lf-trailer", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n"),
        ("cr-cr-lf-after-chunk-data", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\r\n0\r\n\r\n"),
        # chunk sizes and extensions
        ("chunk-size-17-digits", "refuse",
         post + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-overflow", "refuse",
         post + "Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-huge", "refuse", post + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffff0\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-non-hex", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-negative", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-0x", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-space", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-ext-nul", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5;a\x00b\r\nhello\r\n0\r\n\r\n"),
        ("chunk-ext-bare-cr", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5;a\rb\r\nhello\r\n0\r\n\r\n"),
        ("chunk-ext-ctl", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5;a\x01\r\nhello\r\n0\r\n\r\n"),
        ("chunk-data-no-crlf", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
        ("chunk-data-too-long", "refuse", post + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"),
        # NUL and other control bytes in the head
        ("nul-in-header-value", "refuse", post + "X-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello"),
        ("nul-in-header-name", "refuse", post + "X-\x00A: 1\r\nContent-Length: 5\r\n\r\nhello"),
        ("nul-in-request-line", "refuse", "GET %s\x00 HTTP/1.1\r\n%s\r\n" % (path, h)),
        # a second request hidden in a body the server does not expect
        ("hidden-request-after-get-body", "refuse",
         "GET %s HTTP/1.1\r\n%sContent-Length: 0\r\nContent-Length: 1\r\n\r\nG" % (path, h) + hidden),
    ]
    return [(name, expect, data.encode("latin-1")) for name, expect, data in cases]


# ---- HTTP/1.1 responses ---------------------------------------------------------------------------------------------
def parse_responses(buf):
    """[(status, content_type)] of the complete responses in buf (Content-Length or chunked bodies)."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0 or not buf.startswith(b"HTTP/1."):
            return out
        head = buf[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        fields = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        rest = buf[end + 4:]
        if "content-length" in fields:
            n = int(fields["content-length"])
            if len(rest) < n:
                return out
            buf = rest[n:]
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            m = re.search(rb"(?:^|\r\n)0\r\n\r\n", rest)
            if not m:
                return out
            buf = rest[m.end():]
        else:  # body until close
            buf = b""
        out.append((status, fields.get("content-type", "")))


def connect(args):
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"] if args.h2 else ["http/1.1"])
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    return sock


def read_until(sock, buf, deadline, enough):
    """Reads until enough(buf), EOF (closed=True) or the deadline (closed=False)."""
    while not enough(buf):
        left = deadline - time.time()
        if left <= 0:
            return buf, False
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return buf, False
        except (ConnectionResetError, ssl.SSLError, OSError):
            return buf, True
        if not data:
            return buf, True
        buf += data
    return buf, None


def describe(responses, closed):
    if not responses:
        got = "none"
    else:
        got = ",".join("%d/%s" % (s, "cong" if "problem+json" in t else "h2o") if s == 400 else str(s)
                       for s, t in responses)
    return got + (" closed" if closed else " open" if closed is None else " timeout")


def send(sock, data, trickle):
    """sendall, or one byte per segment, 1 ms apart; a refusal may close the connection while we still send."""
    try:
        if not trickle:
            sock.sendall(data)
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            sock.sendall(data[i:i + 1])
            time.sleep(0.001)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass


def run_http1(args, name, expect, data):
    sentinel = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % args.path).encode()
    trickle = name.endswith("-trickled")
    sock = connect(args)
    deadline = time.time() + args.timeout
    try:
        if expect == "refuse":
            send(sock, data + sentinel, trickle)
            buf, closed = read_until(sock, b"", deadline, lambda b: False)
            responses = parse_responses(buf)
            good = closed and len(responses) == 1 and responses[0][0] == 400
            return describe(responses, closed), good
        send(sock, data, trickle)
        buf, _ = read_until(sock, b"", deadline, lambda b: len(parse_responses(b)) >= 1)
        first = parse_responses(buf)
        if len(first) == 1:
            sock.sendall(sentinel)
            # Bytes a misframed body left behind are parsed before the sentinel, so their answer (or the answer to
            # them glued to the sentinel) comes second: the sentinel's 200 second means there were none.
            buf, closed = read_until(sock, buf, deadline, lambda b: len(parse_responses(b)) >= 2)
        else:
            closed = None
        responses = parse_responses(buf)
        good = len(responses) == 2 and responses[0][0] != 400 and responses[1][0] == 200
        return describe(responses, closed), good
    except OSError as e:
        return "error:%s" % e.__class__.__name__, False
    finally:
        sock.close()


# ---- HTTP/2 (h2c prior knowledge or TLS ALPN h2) ---------------------------------------------------------------------
H2_ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 7: "REFUSED_STREAM",
             8: "CANCEL", 11: "ENHANCE_YOUR_CALM"}
STATIC_STATUS = {8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}
# RFC 7541 Appendix B codes of the digits (all a :status value needs)
HUFFMAN_DIGITS = {("0" * 5): "0", "00001": "1", "00010": "2", "011001": "3", "011010": "4", "011011": "5",
                  "011100": "6", "011101": "7", "011110": "8", "011111": "9"}


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = [first | limit], value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def hpack_literal(name, value):  # literal without indexing, new name, no Huffman
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7, 0) + name + hpack_int(len(value), 7, 0) + value


def status_of(block):
    """The :status of a response header block (h2o sends it first)."""
    if not block:
        return None
    b = block[0]
    if b & 0x80:
        return STATIC_STATUS.get(b & 0x7F)
    if b & 0x0F == 8 or b & 0x3F == 8:  # literal, name :status (index 8)
        huffman, length, raw = block[1] & 0x80, block[1] & 0x7F, block[2:2 + (block[1] & 0x7F)]
        if not huffman:
            return int(raw)
        bits, text, code = "".join(format(c, "08b") for c in raw), "", ""
        for bit in bits:
            code += bit
            if code in HUFFMAN_DIGITS:
                text += HUFFMAN_DIGITS[code]
                code = ""
        return int(text)
    return None


def problem_slug(body):
    """"/cong:SLUG" for a problem+json body (cong answered), "/h2o" for anything else."""
    try:
        return "/cong:" + json.loads(body)["type"].rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "/h2o"


def h2_cases(path, authority, scheme):
    base = [(":method", "POST"), (":scheme", scheme), (":path", path), (":authority", authority)]
    get = [(":method", "GET"), (":scheme", scheme), (":path", path), (":authority", authority)]
    return [
        # (name, expect, headers, DATA payload or None)
        ("h2-control-get", "h2-ok", get, None),
        ("h2-te-trailers", "h2-ok", get + [("te", "trailers")], None),
        ("h2-control-content-length", "h2-ok", base + [("content-length", "5")], b"hello"),
        ("h2-transfer-encoding", "h2-malformed", base + [("transfer-encoding", "chunked")], b"0\r\n\r\n"),
        ("h2-connection", "h2-malformed", get + [("connection", "keep-alive")], None),
        ("h2-keep-alive", "h2-malformed", get + [("keep-alive", "timeout=5")], None),
        ("h2-upgrade", "h2-malformed", get + [("upgrade", "h2c")], None),
        ("h2-proxy-connection", "h2-malformed", get + [("proxy-connection", "keep-alive")], None),
        ("h2-te-gzip", "h2-malformed", get + [("te", "gzip")], None),
        ("h2-content-length-over-data", "h2-malformed", base + [("content-length", "10")], b"hello"),
        ("h2-content-length-under-data", "h2-malformed", base + [("content-length", "3")], b"hello"),
        ("h2-content-length-bad", "h2-malformed", base + [("content-length", "5, 5")], b"hello"),
    ]


def run_h2(args, name, expect, headers, body):
    sock = connect(args)
    deadline = time.time() + args.timeout
    block = b"".join(hpack_literal(k, v) for k, v in headers)
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)
    if body is None:
        out += frame(1, 0x5, 1, block)
    else:
        out += frame(1, 0x4, 1, block) + frame(0, 0x1, 1, body)
    result = None
    try:
        sock.sendall(out)
        buf, body, status = b"", b"", "?"
        while result is None and time.time() < deadline:
            sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                result = "closed"
                break
            buf += data
            while len(buf) >= 9 and result is None:
                length = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + length:
                    break
                kind, flags, stream, payload = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + length]
                buf = buf[9 + length:]
                if kind == 4 and not flags & 1:
                    sock.sendall(frame(4, 1, 0))
                elif kind == 3 and stream == 1:
                    result = "rst:" + H2_ERRORS.get(int.from_bytes(payload[:4], "big"), "?")
                elif kind == 7:
                    result = "goaway:" + H2_ERRORS.get(int.from_bytes(payload[4:8], "big"), "?")
                elif kind == 1 and stream == 1:
                    if flags & 0x8:  # PADDED
                        payload = payload[1:len(payload) - payload[0]]
                    if flags & 0x20:  # PRIORITY
                        payload = payload[5:]
                    status = str(status_of(payload))
                    if flags & 0x1:
                        result = status
                elif kind == 0 and stream == 1:
                    body += payload
                    if flags & 0x1:
                        result = status + (problem_slug(body) if status == "400" else "")
    except OSError as e:
        result = "error:%s" % e.__class__.__name__
    finally:
        sock.close()
    result = result or "none"
    if expect == "h2-malformed":  # a stream error, or the connection error an endpoint may make of it (RFC 9113 §5.4.1)
        good = result in ("rst:PROTOCOL_ERROR", "goaway:PROTOCOL_ERROR") or result.startswith("400")
    else:
        good = result[:3].isdigit() and not result.startswith("400")
    return result, good


def upstream_lines(args):
    if not args.upstream_log:
        return []
    try:
        with open(args.upstream_log) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", action="store_true", help="TLS, ALPN http/1.1 (h2 for the HTTP/2 cases)")
    p.add_argument("--path", default="/healthz", help="the path asked (a proxied route through a proxy)")
    p.add_argument("--only", default="", help="run the cases whose name matches this regex")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds a case may take")
    p.add_argument("--upstream-log", default="", help="an upstream's request log to check (see the header)")
    p.add_argument("--marker", default=SMUGGLED.strip("/"), help="what the hidden requests' paths hold")
    args = p.parse_args()
    authority = "127.0.0.1:%d" % args.port
    only = re.compile(args.only) if args.only else None
    failures = 0
    for name, expect, data in http1_cases(args.path, authority) + [
            (n, e, (h, b)) for n, e, h, b in h2_cases(args.path, authority, "https" if args.tls else "http")]:
        if only and not only.search(name):
            continue
        before = upstream_lines(args)
        args.h2 = expect.startswith("h2")
        try:
            got, good = run_h2(args, name, expect, *data) if args.h2 else run_http1(args, name, expect, data)
        except OSError as e:  # could not connect
            got, good = "error:%s" % e.__class__.__name__, False
        if args.upstream_log:
            new = upstream_lines(args)[len(before):]
            if any(args.marker in line for line in new):
                got, good = got + " upstream-saw-hidden", False
            if expect in ("refuse", "h2-malformed") and new:
                got, good = got + " upstream-saw-%d" % len(new), False
        failures += not good
        print("%-36s %-12s %-24s %s" % (name, expect, got, "ok" if good else "FAIL"), flush=True)
    print("summary cases_failed=%d" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
