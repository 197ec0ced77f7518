# slow_reader.py PORT PATH BYTES_PER_SECOND — an HTTP/1.1 client on 127.0.0.1 that reads its answer slowly: a
# 16 KiB receive buffer (so the kernel cannot take the body off the server's hands) read at most BYTES_PER_SECOND.
# Prints "STATUS SHA256 LENGTH" of the (de-chunked) body. Gives up after 120 s.
import hashlib
import socket
import sys
import time

port, path, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
sock.settimeout(120)
sock.connect(("127.0.0.1", port))
sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path.encode(), port))

data, start = bytearray(), time.monotonic()
while True:
    piece = sock.recv(4096)
    if not piece:
        break
    data += piece
    ahead = len(data) / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)

head, _, body = bytes(data).partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode()
if b"transfer-encoding: chunked" in head.lower():
    out, at = bytearray(), 0
    while True:
        eol = body.index(b"\r\n", at)
        size = int(body[at:eol].split(b";")[0], 16)
        if size == 0:
            break
        out += body[eol + 2:eol + 2 + size]
        at = eol + 2 + size + 2
    body = bytes(out)
print(status, hashlib.sha256(body).hexdigest(), len(body))
