#!/usr/bin/env python3
"""A stalled Server-Sent Events reader for test_push_events.sh: a raw HTTP/2 client (no library) that asks for
HOST:PORT PATH with a bearer TOKEN and a stream window of 0, so the server can send headers but not one byte of the
body. It prints "headers <first header byte>" when the response's headers come (0x88: :status 200). When a line
"open" arrives on stdin it opens the windows and prints the body as it comes, then "END_STREAM" when the server
ended the stream (or "RST_STREAM" / "CLOSED"). Frames are built by hand; header blocks use literals only."""
import select
import socket
import struct
import sys


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value, bits):
    limit = (1 << bits) - 1
    if value < limit:
        return bytes([value])
    out, value = [limit], value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def literal(name, value):  # literal header field without indexing, new name, no Huffman
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def main():
    host, port, path, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
    s = socket.create_connection((host, port))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, 0)))
    block = b"".join(literal(k, v) for k, v in [(b":method", b"GET"), (b":scheme", b"http"), (b":path", path),
                                                 (b":authority", host.encode()),
                                                 (b"authorization", b"Bearer " + token)])
    s.sendall(frame(1, 0x4 | 0x1, 1, block))
    buf, opened = b"", False
    out = sys.stdout.buffer
    while True:
        ready, _, _ = select.select([s, sys.stdin], [], [], 60)
        if not ready:
            print("TIMEOUT", flush=True)
            return
        if sys.stdin in ready:
            line = sys.stdin.readline()
            if line.strip() == "open" and not opened:
                opened = True
                s.sendall(frame(8, 0, 0, struct.pack(">I", 1 << 30)) + frame(8, 0, 1, struct.pack(">I", 1 << 30)))
                s.sendall(frame(4, 0, 0, struct.pack(">HI", 4, 1 << 20)))
        if s not in ready:
            continue
        data = s.recv(65536)
        if not data:
            print("\nCLOSED", flush=True)
            return
        buf += data
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            kind, flags, stream = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload, buf = buf[9:9 + length], buf[9 + length:]
            if kind == 4 and not flags & 1:
                s.sendall(frame(4, 1, 0))
            elif kind == 6 and not flags & 1:
                s.sendall(frame(6, 1, 0, payload))
            elif kind == 1 and stream == 1:
                print("headers %#x" % payload[0], flush=True)
            elif kind == 0 and stream == 1:
                out.write(payload)
                out.flush()
                if flags & 1:
                    print("\nEND_STREAM", flush=True)
                    return
            elif kind == 3 and stream == 1:
                print("\nRST_STREAM", flush=True)
                return
            elif kind == 7:
                print("\nGOAWAY", flush=True)


main()
