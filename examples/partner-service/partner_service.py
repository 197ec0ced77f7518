#!/usr/bin/python3
"""examples/partner-service — a partner's upstream service behind cong, in Python 3 with Debian's python3-jwt (PyJWT)
and python3-cryptography only. README.md beside it is the tutorial.

cong calls this service for the routes it declares under partner_routes:, and in every request it sends
`authorization: Bearer <JWT>`: a token cong signs itself (ES256, its current key, published at its JWKS) for this
partner only — aud = the partner's name, iss = cong's issuer, sub = the citizen's pseudonym for this partner, scope =
the scopes granted to this partner, act = who acts for the citizen, exp at most 60 s after iat. The service trusts
nothing else: no header a client could send (cong strips x-cong-*, x-user-*, forwarded... anyway), never the
citizen's own cong token. Anything wrong → 401 with a JSON error saying what.

    /usr/bin/python3 partner_service.py --port 8081 --audience evn \
        --issuer https://id.cong.example --jwks-url https://cong.example/.well-known/jwks.json

Every option may come from the environment instead: PARTNER_PORT, PARTNER_BIND, PARTNER_AUDIENCE, PARTNER_ISSUER,
PARTNER_JWKS_URL, PARTNER_JWKS_CA_FILE, PARTNER_LEEWAY_S.
"""
import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt  # PyJWT (Debian: python3-jwt); ES256 needs python3-cryptography

MAX_TOKEN_LIFETIME_S = 60  # cong's upstream tokens live ≤ 60 s: a longer-lived token is not one of them
MAX_LEEWAY_S = 30          # clock difference tolerated on exp/iat/nbf, bounded so a typo cannot accept old tokens


class Jwks:
    """cong's published keys, fetched once and cached: again after `ttl_s`, or when a token names a kid not in the
    set (cong rotated its key) — but at most once per `cooldown_s`, so forged kids cannot make us hammer cong."""

    def __init__(self, url, ca_file=None, ttl_s=300, cooldown_s=30):
        self.url, self.ttl_s, self.cooldown_s = url, ttl_s, cooldown_s
        self.context = ssl.create_default_context(cafile=ca_file) if url.startswith("https:") else None
        self.keys, self.fetched_at, self.lock = {}, 0.0, threading.Lock()

    def _fetch(self):
        with urllib.request.urlopen(self.url, timeout=5, context=self.context) as answer:
            document = json.load(answer)
        keys = {k["kid"]: jwt.PyJWK(k, algorithm="ES256").key
                for k in document.get("keys", []) if k.get("kty") == "EC" and k.get("crv") == "P-256" and "kid" in k}
        self.keys, self.fetched_at = keys, time.monotonic()

    def key(self, kid):
        with self.lock:
            age = time.monotonic() - self.fetched_at
            if age > self.ttl_s or (kid not in self.keys and age > self.cooldown_s):
                try:
                    self._fetch()
                except (OSError, ValueError, jwt.PyJWTError) as e:
                    if not self.keys:
                        raise Unavailable(f"cong's JWKS could not be fetched: {e}") from e
                    # cong unreachable for a moment: keep the keys we have
            return self.keys.get(kid)


class Unavailable(Exception):
    pass


class Refused(Exception):
    pass


def verify(authorization, jwks, issuer, audience, leeway_s):
    """The claims of cong's token in `authorization`, or Refused with why."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused("no bearer token: cong always sends one")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise Refused(f"not a JWT: {e}") from e
    if header.get("alg") != "ES256":  # never "none", never HS256 with the public key as secret
        raise Refused(f"alg {header.get('alg')!r}: only ES256 is accepted")
    if header.get("typ") == "at+jwt":
        raise Refused("a cong access token: a partner gets cong's token for the partner, never the citizen's")
    kid = header.get("kid")
    key = jwks.key(kid) if isinstance(kid, str) else None
    if key is None:
        raise Refused(f"kid {kid!r} is not among cong's published keys")
    try:
        claims = jwt.decode(token, key, algorithms=["ES256"], audience=audience, issuer=issuer, leeway=leeway_s,
                            options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    except jwt.PyJWTError as e:
        raise Refused(f"{type(e).__name__}: {e}") from e
    if claims["exp"] - claims["iat"] > MAX_TOKEN_LIFETIME_S:
        raise Refused(f"token lives {claims['exp'] - claims['iat']} s: cong's live at most {MAX_TOKEN_LIFETIME_S}")
    return claims


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: cong keeps a pool of connections to its upstreams
    server_version = "partner-service"

    def _answer(self, status, body, extra_headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        length = self.headers.get("content-length") or "0"
        if not length.isdigit():
            self.close_connection = True  # the body's end is unknown: this connection cannot carry another request
            return self._answer(400, {"error": "invalid_request", "error_description": "bad content-length"})
        body = self.rfile.read(int(length))
        if self.path == "/healthz":  # for cong's active health checks (upstreams[].health.path): no token
            return self._answer(200, {"status": "ok"})
        cfg = self.server.cfg
        try:
            claims = verify(self.headers.get("authorization"), cfg.jwks, cfg.issuer, cfg.audience, cfg.leeway_s)
        except Refused as e:
            return self._answer(401, {"error": "invalid_token", "error_description": str(e)},
                                [("www-authenticate", 'Bearer error="invalid_token"')])
        except Unavailable as e:
            return self._answer(503, {"error": "jwks_unavailable", "error_description": str(e)},
                                [("retry-after", "5")])
        # The partner's own logic goes here. sub is this partner's pseudonym of the citizen: stable, so it can key
        # the partner's records, and unlike any other partner's (no joining of data between partners).
        self._answer(200, {
            "partner": cfg.audience,
            "sub": claims.get("sub"),                       # absent for an anonymous caller (a public route)
            "scopes": (claims.get("scope") or "").split(),  # what the citizen granted, cut to this partner's
            "actor": (claims.get("act") or {}).get("sub"),  # who acts for the citizen (a mandate), else null
            "acr": claims.get("acr"),
            "client_id": claims.get("client_id"),
            "method": self.command,
            "path": self.path,
            "body_bytes": len(body),
            "received_headers": sorted(name.lower() for name in self.headers.keys()),
        })

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, fmt, *args):  # the request line only: never the token
        sys.stderr.write("partner-service: %s\n" % (fmt % args))


def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description="A partner's upstream service that verifies cong's token.")
    p.add_argument("--bind", default=env("PARTNER_BIND", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("PARTNER_PORT", "8081")))
    p.add_argument("--audience", default=env("PARTNER_AUDIENCE"), help="this partner's name in cong (partner.name)")
    p.add_argument("--issuer", default=env("PARTNER_ISSUER"), help="cong's issuer (its auth.issuer)")
    p.add_argument("--jwks-url", default=env("PARTNER_JWKS_URL"), help="cong's /.well-known/jwks.json")
    p.add_argument("--jwks-ca-file", default=env("PARTNER_JWKS_CA_FILE"), help="CA of cong's certificate (https)")
    p.add_argument("--leeway-s", type=int, default=int(env("PARTNER_LEEWAY_S", "5")))
    cfg = p.parse_args()
    if not (cfg.audience and cfg.issuer and cfg.jwks_url):
        p.error("--audience, --issuer and --jwks-url are required")
    if not 0 <= cfg.leeway_s <= MAX_LEEWAY_S:
        p.error(f"--leeway-s must be 0..{MAX_LEEWAY_S}")
    cfg.jwks = Jwks(cfg.jwks_url, cfg.jwks_ca_file)
    server = ThreadingHTTPServer((cfg.bind, cfg.port), Handler)
    server.cfg = cfg
    sys.stderr.write(f"partner-service: {cfg.audience} on {cfg.bind}:{cfg.port}, keys from {cfg.jwks_url}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
