#!/usr/bin/env bash
# tools/fcm_standin/make-service-account.sh — a Firebase service account key file for the stand-in FCM (and for
# cong's push delivery, which signs its assertions with it): a new RSA 2048 key in Google's JSON format.
#
#   make-service-account.sh DIR TOKEN_URI [PROJECT_ID] [CLIENT_EMAIL]
#
# Writes DIR/service-account.json (mode 0600): type service_account, project_id (default cong-standin),
# private_key_id (40 random hex digits), private_key (PKCS#8 PEM), client_email (default
# firebase-adminsdk@PROJECT_ID.iam.gserviceaccount.com), token_uri = TOKEN_URI (the stand-in's
# http://127.0.0.1:PORT/token), and Google's other members. Prints the file's path. Needs openssl and python3.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 4 ]; then
  echo "usage: $0 DIR TOKEN_URI [PROJECT_ID] [CLIENT_EMAIL]" >&2
  exit 2
fi
dir=$1 token_uri=$2 project=${3:-cong-standin}
email=${4:-firebase-adminsdk@$project.iam.gserviceaccount.com}
mkdir -p "$dir"
umask 077
key=$(mktemp "$dir/.key.XXXXXX")
trap 'rm -f "$key"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null
python3 -S - "$key" "$dir/service-account.json" "$token_uri" "$project" "$email" <<'PY'
import json, os, sys
key_file, out, token_uri, project, email = sys.argv[1:6]
account = {
    "type": "service_account",
    "project_id": project,
    "private_key_id": os.urandom(20).hex(),
    "private_key": open(key_file).read(),
    "client_email": email,
    "client_id": str(int.from_bytes(os.urandom(8), "big")),
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": token_uri,
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "universe_domain": "googleapis.com",
}
with open(out, "w") as f:
    json.dump(account, f, indent=2)
    f.write("\n")
PY
echo "$dir/service-account.json"
