# ocsp_response.py CERT ISSUER SIGNER_CERT SIGNER_KEY OUT (good THIS_S NEXT_S | unauthorized) — a DER OCSP response
# about CERT for the TLS tests, for what `openssl ocsp` cannot make: thisUpdate and nextUpdate THIS_S and NEXT_S
# seconds from now (negative: in the past), or an unsuccessful response ("unauthorized"). python3-cryptography.
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

cert_file, issuer_file, signer_file, key_file, out = sys.argv[1:6]
kind = sys.argv[6]


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


if kind == "unauthorized":
    response = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
else:
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    this_s, next_s = int(sys.argv[7]), int(sys.argv[8])
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    signer = load_cert(signer_file)
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=load_cert(cert_file), issuer=load_cert(issuer_file), algorithm=hashes.SHA1(),
        cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now + datetime.timedelta(seconds=this_s),
        next_update=now + datetime.timedelta(seconds=next_s), revocation_time=None, revocation_reason=None)
    response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer).certificates([signer]).sign(
        key, hashes.SHA256())
with open(out, "wb") as f:
    f.write(response.public_bytes(serialization.Encoding.DER))
