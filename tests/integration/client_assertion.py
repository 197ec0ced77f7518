#!/usr/bin/env python3
"""client_assertion.py KEY_PEM CLIENT_ID AUDIENCE [--exp-in S] [--jti J] [--alg A] [--iss I]: prints a private_key_jwt
client assertion (RFC 7523) signed ES256 with KEY_PEM (the test's own key; python3-cryptography), for test_orgs."""
import argparse, base64, json, time, uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


p = argparse.ArgumentParser()
p.add_argument("key"), p.add_argument("client_id"), p.add_argument("audience")
p.add_argument("--exp-in", type=int, default=120), p.add_argument("--jti", default=None)
p.add_argument("--alg", default="ES256"), p.add_argument("--iss", default=None)
a = p.parse_args()
key = serialization.load_pem_private_key(open(a.key, "rb").read(), password=None)
now = int(time.time())
header = {"alg": a.alg, "typ": "JWT"}
claims = {"iss": a.iss or a.client_id, "sub": a.client_id, "aud": a.audience, "iat": now, "exp": now + a.exp_in,
          "jti": a.jti or str(uuid.uuid4())}
signing_input = (b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())).encode()
r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
print(signing_input.decode() + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
