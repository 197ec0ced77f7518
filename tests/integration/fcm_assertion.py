#!/usr/bin/env python3
"""tests/integration/fcm_assertion.py — makes service-account JWT assertions for the stand-in FCM's test, the way a
Google client library does (RFC 7523; header {"alg":"RS256","typ":"JWT","kid": private_key_id}, claims iss, scope,
aud, iat, exp), signed with `openssl dgst -sha256 -sign` so that nothing of the C code under test is used — and, on
request, the mistakes a client could make.

  fcm_assertion.py SERVICE_ACCOUNT.json [NAME=VALUE | NAME | !alg=X | !kid=X | !nokid | !key=PEM | !tamper]...

NAME=VALUE sets a claim (an integer when VALUE is one; now+N / now-N are relative to now), a bare NAME removes it.
!alg=none leaves the signature empty, !alg=HS256 signs with HMAC-SHA256 keyed with the public key's PEM (the
algorithm-confusion attack), any other !alg only changes the header (the signature stays RS256). !key signs with
another private key; !tamper changes a claim after signing. Prints the assertion. Python standard library + openssl.
"""
import base64, hashlib, hmac, json, os, subprocess, sys, tempfile, time


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs256(key_pem_path, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_pem_path], input=data, capture_output=True,
                          check=True).stdout


def value(v, now):
    if v.startswith("now"):
        return now + int(v[3:] or 0)
    try:
        return int(v)
    except ValueError:
        return v


def main():
    account = json.load(open(sys.argv[1]))
    now = int(time.time())
    claims = {"iss": account["client_email"], "scope": "https://www.googleapis.com/auth/firebase.messaging",
              "aud": account["token_uri"], "iat": now, "exp": now + 3600}
    header = {"alg": "RS256", "typ": "JWT", "kid": account["private_key_id"]}
    key_path, tamper = None, False
    for arg in sys.argv[2:]:
        if arg.startswith("!alg="):
            header["alg"] = arg[5:]
        elif arg.startswith("!kid="):
            header["kid"] = arg[5:]
        elif arg == "!nokid":
            header.pop("kid")
        elif arg.startswith("!key="):
            key_path = arg[5:]
        elif arg == "!tamper":
            tamper = True
        elif "=" in arg:
            name, _, v = arg.partition("=")
            claims[name] = value(v, now)
        else:
            claims.pop(arg, None)
    signing_input = (b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())).encode()
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(account["private_key"])
    try:
        if header["alg"] == "none":
            signature = b""
        elif header["alg"] == "HS256":
            public = subprocess.run(["openssl", "pkey", "-in", f.name, "-pubout"], capture_output=True,
                                    check=True).stdout
            signature = hmac.new(public, signing_input, hashlib.sha256).digest()
        else:
            signature = rs256(key_path or f.name, signing_input)
    finally:
        os.unlink(f.name)
    if tamper:
        claims["iss"] = "attacker@evil.example"
        signing_input = (b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())).encode()
    print(signing_input.decode() + "." + b64(signature))


main()
