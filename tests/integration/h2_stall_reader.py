# h2_stall_reader.py PORT PATH STREAMS STATUS_FILE — a raw HTTP/2 (h2c, prior knowledge) client that asks for PATH
# on STREAMS streams at once and then never grants flow-control credit: no WINDOW_UPDATE, so at most the initial
# 65,535-byte connection window of DATA can reach it. It answers SETTINGS and PING (it looks alive) and writes
# "received N" (DATA bytes so far) and, when the server closes the connection, "closed" to STATUS_FILE.
# 127.0.0.1 only; it exits when the connection closes or after 120 s.
import socket
import struct
import sys
import time

port, path, streams, status_file = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):  # literal header field without indexing, indexed name, no Huffman (value < 127 bytes)
    value = value.encode()
    return bytes([index, len(value)]) + value


def report(text):
    with open(status_file, "w") as f:
        f.write(text + "\n")


sock = socket.create_connection(("127.0.0.1", port), timeout=120)
block = b"\x82\x86" + literal(4, path) + literal(1, "127.0.0.1:%d" % port)  # GET, http, :path, :authority
out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)
for i in range(streams):
    out += frame(1, 0x5, 2 * i + 1, block)  # HEADERS, END_STREAM | END_HEADERS
sock.sendall(out)

received, buf, deadline = 0, b"", time.time() + 120
report("received 0")
try:
    while time.time() < deadline:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            kind, flags, payload = buf[3], buf[4], buf[9:9 + length]
            buf = buf[9 + length:]
            if kind == 0:
                received += length
                report("received %d" % received)
            elif kind == 4 and not flags & 1:
                sock.sendall(frame(4, 1, 0))
            elif kind == 6 and not flags & 1:
                sock.sendall(frame(6, 1, 0, payload))
except OSError:
    pass
report("closed %d" % received)
