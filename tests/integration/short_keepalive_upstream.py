"""An HTTP/1.1 upstream with a short keep-alive (test_proxy_reuse.sh): it answers every request (200 "ok", kept
alive) and closes a connection that stays idle for IDLE_MS, as servers do when their keep-alive timeout runs out.
Logs "answered METHOD" per answer and "closed idle" per connection it closed that way, after closing it.

    python3 short_keepalive_upstream.py PORT LOG IDLE_MS
"""
import socket
import sys
import threading

port, log_path, idle_s = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) / 1000
log_lock = threading.Lock()


def log(line):
    with log_lock, open(log_path, "a") as f:
        f.write(line + "\n")


def serve(conn):
    buf = b""
    with conn:
        while True:
            conn.settimeout(idle_s if not buf else None)
            try:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                    conn.settimeout(None)
            except socket.timeout:
                conn.close()
                log("closed idle")
                return
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
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok")
            log("answered " + method)


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
