# tls_keepalive_client.py PORT GO_FILE OUT_FILE — one TLS connection to 127.0.0.1:PORT (HTTP/1.1 keep-alive) that asks
# GET /healthz, writes "first STATUS SHA256-OF-THE-PEER-CERTIFICATE" to OUT_FILE, waits for GO_FILE to exist (at most
# 60 s), asks again on the same connection and appends "second STATUS SHA256" (or "second error ..."). The TLS reload
# test uses it to show that a connection made before SIGHUP keeps working after it.
import hashlib
import os
import socket
import ssl
import sys
import time

port, go_file, out_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.set_alpn_protocols(["http/1.1"])
conn = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")
reader = conn.makefile("rb")


def ask():
    conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
    status = reader.readline().split()[1].decode()
    length = 0
    while (line := reader.readline().strip()):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    reader.read(length)
    return status + " " + hashlib.sha256(conn.getpeercert(binary_form=True)).hexdigest()


def write(text):
    with open(out_file, "a") as f:
        f.write(text + "\n")


write("first " + ask())
deadline = time.time() + 60
while not os.path.exists(go_file) and time.time() < deadline:
    time.sleep(0.05)
try:
    write("second " + ask())
except (OSError, IndexError) as e:
    write("second error " + repr(e))
