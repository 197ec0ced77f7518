"""An HTTP/1.1 upstream whose keep-alive runs out as a request arrives (test_proxy_reuse.sh): it answers the first
request of each connection (200 "ok", kept alive), then reads the second and closes the connection without a word —
what a kept connection looks like when the upstream closed it while the proxy sent on it. Logs "conn" per
connection, "dropped METHOD" per request left unanswered, "answered METHOD" per answer.

    python3 stale_keepalive_upstream.py PORT LOG
"""
import socket
import sys
import threading

port, log_path = int(sys.argv[1]), sys.argv[2]
log_lock = threading.Lock()


def log(line):
    with log_lock, open(log_path, "a") as f:
        f.write(line + "\n")


def serve(conn):
    buf, served = b"", 0
    with conn:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            method = lines[0].split(b" ")[0].decode()
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(buf) < length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            buf = buf[length:]
            if served == 1:
                log("dropped " + method)
                return
            served += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok")
            log("answered " + method)


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
while True:
    c, _ = srv.accept()
    log("conn")
    threading.Thread(target=serve, args=(c,), daemon=True).start()
