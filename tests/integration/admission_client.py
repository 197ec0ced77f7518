# admission_client.py — connections from chosen loopback addresses, for test_admission.sh (127.0.0.0/8 only).
#   probe SRC PORT          one h2c connection from SRC: "open" when the server's SETTINGS arrive, "shed" when it is
#                           closed (or reset) before a byte; then it is closed
#   burst SRC PORT MAX      probes one after the other until one is shed (at most MAX): "open open open shed"
#   hold SRC PORT N         N open connections from SRC (each "open" as in probe); prints "held N" when all are, else
#                           "shed" at the first one shed; then keeps them until it is killed (at most 120 s)
#   proxied PORT CLIENT [N] from 127.0.0.1 (the load balancer), a PROXY v1 line naming CLIENT and an HTTP/1.1 GET
#                           /healthz; prints "STATUS connection=... retry-after=... closed=0|1" (closed: the server
#                           closed after its answer); with N, holds N such kept-alive connections, prints "held N"
#                           once each got its 200, and keeps them as hold does
#   proxied-h2 PORT CLIENT  the same over h2c: a PROXY line, then GET /healthz on streams 1 and 3 of one connection;
#                           prints, for each stream, "limited" (a rate-limited problem), "served" (another answer)
#                           or "none" (no complete answer)
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + empty SETTINGS


def connect(src, port):
    if not src.startswith("127."):
        sys.exit("admission_client: loopback sources only")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def first_bytes(s):
    try:
        return s.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def probe(src, port):
    try:
        s = connect(src, port)  # on loopback, the reset of a shed connection can come back before connect returns
        s.sendall(PREFACE)
    except (ConnectionResetError, BrokenPipeError):
        return None, "shed"
    data = first_bytes(s)
    return s, "open" if data else "shed"


def keep(socks):
    sys.stdout.flush()
    time.sleep(120)
    for s in socks:
        s.close()


def proxied(port, client):
    s = connect("127.0.0.1", port)
    s.sendall(("PROXY TCP4 %s 127.0.0.1 40000 %d\r\n" % (client, port)).encode()
              + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = first_bytes(s)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    fields = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
    length = int(fields.get("content-length", "0"))
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    while len(body) < length:
        chunk = first_bytes(s)
        if not chunk:
            break
        body += chunk
    status = head[0].split(" ")[1] if head and " " in head[0] else "none"
    return s, status, fields


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def proxied_h2(port, client):
    s = connect("127.0.0.1", port)
    block = b"\x82\x86\x04\x08/healthz\x01\x01x"  # GET, http, :path /healthz, :authority x (literals, no Huffman)
    s.sendall(("PROXY TCP4 %s 127.0.0.1 40000 %d\r\n" % (client, port)).encode() + PREFACE
              + h2_frame(1, 5, 1, block) + h2_frame(1, 5, 3, block))
    bodies, ended, data = {1: b"", 3: b""}, set(), b""
    while len(ended) < 2:
        chunk = first_bytes(s)
        if not chunk:
            break
        data += chunk
        while len(data) >= 9 and len(data) >= 9 + int.from_bytes(data[:3], "big"):
            length, kind, flags, stream = int.from_bytes(data[:3], "big"), data[3], data[4], \
                int.from_bytes(data[5:9], "big") & 0x7fffffff
            if kind == 0 and stream in bodies:
                bodies[stream] += data[9:9 + length]
            if kind in (0, 1) and flags & 1 and stream in bodies:
                ended.add(stream)
            data = data[9 + length:]
    return " ".join("limited" if b"rate-limited" in bodies[k] else "served" if k in ended else "none" for k in (1, 3))


def main():
    cmd = sys.argv[1]
    if cmd == "probe":
        s, verdict = probe(sys.argv[2], int(sys.argv[3]))
        print(verdict)
    elif cmd == "burst":
        seen = []
        for _ in range(int(sys.argv[4])):
            s, verdict = probe(sys.argv[2], int(sys.argv[3]))
            seen.append(verdict)
            if s is not None:
                s.close()
            if verdict == "shed":
                break
        print(" ".join(seen))
    elif cmd == "hold":
        socks = []
        for _ in range(int(sys.argv[4])):
            s, verdict = probe(sys.argv[2], int(sys.argv[3]))
            if verdict == "shed":
                print("shed")
                sys.exit(1)
            socks.append(s)
        print("held %d" % len(socks))
        keep(socks)
    elif cmd == "proxied" and len(sys.argv) == 4:
        s, status, fields = proxied(int(sys.argv[2]), sys.argv[3])
        s.settimeout(2)
        try:
            closed = 1 if first_bytes(s) == b"" else 0
        except socket.timeout:
            closed = 0
        print("%s connection=%s retry-after=%s closed=%d" % (status, fields.get("connection", "-"),
                                                            fields.get("retry-after", "-"), closed))
    elif cmd == "proxied":
        socks = []
        for _ in range(int(sys.argv[4])):
            s, status, _ = proxied(int(sys.argv[2]), sys.argv[3])
            if status != "200":
                print("refused %s" % status)
                sys.exit(1)
            socks.append(s)
        print("held %d" % len(socks))
        keep(socks)
    elif cmd == "proxied-h2":
        print(proxied_h2(int(sys.argv[2]), sys.argv[3]))
    else:
        sys.exit("usage: admission_client.py probe|burst|hold|proxied|proxied-h2 ...")


main()
