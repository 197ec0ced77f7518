#!/usr/bin/env bash
# tests/integration/test_payment_standin.sh — the stand-in VNPay gateway (tools/payment_standin) on its own: payment
# URLs checked (signature, merchant, format, expiry, TxnRef reuse), the page and its form, the choice with its signed
# redirect and IPN, IPN retries until RspCode 00 and their log, the IPN modes (none, duplicate, bad_hash,
# wrong_amount, late), querydr (00/01/91/97/94/02), refunds (full, partial, over-refund, after a full refund, of an
# unpaid payment), the api modes, the control token, the daily statement, and a log without the secret or queries.
# Needs bash, curl, python3 (stdlib); no gateway, no stores. The merchant's IPN endpoint is
# tests/integration/vnpay_ipn_receiver.py; signatures are checked here in Python, independently of the C code.
source "$(dirname "$0")/lib.sh"
PATH="$(dirname "$(python3 -c 'import sys; print(sys.executable)')"):$PATH"

STANDIN="$BUILD/payment-standin"
TMP="$GW_DIR/payment"
mkdir -p "$TMP"
TMN=CONGTEST
SECRET=ST4NDINsecret0123456789abcdefXYZ
printf '%s\n' "$SECRET" >"$TMP/secret"
printf 'ctl-token-42\n' >"$TMP/control-token"
RETURN=http://127.0.0.1:9/v1/payments/vnpay/return

cat >"$TMP/h.py" <<'PY'
import datetime, hashlib, hmac, html.parser, json, sys, urllib.parse

SECRET = open(sys.argv[1]).read().strip().encode()

def sign(data): return hmac.new(SECRET, data.encode(), hashlib.sha512).hexdigest()
def now7(minutes=0):
    t = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))) + datetime.timedelta(minutes=minutes)
    return t.strftime("%Y%m%d%H%M%S")
def canonical(pairs):   # VNPay 2.1.0: vnp_* but the hash fields, sorted, PHP urlencode, joined with &
    keep = sorted((k, v) for k, v in pairs if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType"))
    return "&".join(urllib.parse.quote_plus(k, safe="") + "=" + urllib.parse.quote_plus(v, safe="") for k, v in keep)
def overrides(q, items):   # NAME=VALUE sets, a bare NAME removes
    for a in items:
        name, eq, value = a.partition("=")
        if eq: q[name] = value
        else: q.pop(name, None)
    return q

class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.fields = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))

def run(cmd, args):
  if cmd == "url":             # BASE TXN_REF [NAME=VALUE...] [!badsig] -> a signed payment URL
      q = {"vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "CONGTEST", "vnp_Amount": "1806000",
           "vnp_CurrCode": "VND", "vnp_TxnRef": args[1], "vnp_OrderInfo": "Thanh toan ho so " + args[1],
           "vnp_OrderType": "other", "vnp_ReturnUrl": "http://127.0.0.1:9/v1/payments/vnpay/return",
           "vnp_IpAddr": "203.0.113.7", "vnp_CreateDate": now7(), "vnp_ExpireDate": now7(15), "vnp_Locale": "vn"}
      extra = [a for a in args[2:] if a != "!badsig"]
      q = overrides(q, extra)
      h = sign(canonical(q.items()))
      if "!badsig" in args: h = h[:-1] + ("0" if h[-1] != "0" else "1")
      print(args[0] + "?" + urllib.parse.urlencode(list(q.items()) + [("vnp_SecureHash", h)]))
  elif cmd == "verify":        # QUERY -> ok when vnp_SecureHash signs the other vnp_* parameters
      pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(args[0]).query or args[0], keep_blank_values=True)
      given = dict(pairs).get("vnp_SecureHash", "")
      print("ok" if hmac.compare_digest(sign(canonical(pairs)), given.lower()) else "bad")
  elif cmd == "param":         # URL_OR_QUERY NAME... -> the values, space-separated
      pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(args[0]).query or args[0], keep_blank_values=True)
      print(" ".join(dict(pairs).get(n, "") for n in args[1:]))
  elif cmd == "fields":        # JSON_FILE NAME... -> the members, space-separated
      a = json.load(open(args[0]))
      print(" ".join(str(a.get(n, "")) for n in args[1:]))
  elif cmd == "params":        # URL_OR_QUERY -> the parameters but the hash, sorted, one line
      pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(args[0]).query or args[0], keep_blank_values=True)
      print("&".join(k + "=" + v for k, v in sorted(pairs) if k != "vnp_SecureHash"))
  elif cmd == "form":          # PAGE CHOICE -> the form body the page's button posts
      f = Form(); f.feed(open(args[0], encoding="utf-8").read())
      print(urllib.parse.urlencode(f.fields + [("choice", args[1])]))
  elif cmd in ("querydr", "refund"):   # TXN_REF TRANSACTION_DATE REQUEST_ID [NAME=VALUE...] [!badsig] -> JSON body
      q = {"vnp_RequestId": args[2], "vnp_Version": "2.1.0", "vnp_Command": cmd, "vnp_TmnCode": "CONGTEST",
           "vnp_TxnRef": args[0], "vnp_OrderInfo": "Kiem tra GD " + args[0], "vnp_TransactionDate": args[1],
           "vnp_CreateDate": now7(), "vnp_IpAddr": "127.0.0.1"}
      if cmd == "refund":
          q.update({"vnp_TransactionType": "02", "vnp_Amount": "1806000", "vnp_CreateBy": "canbo01"})
          order = ["vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef",
                   "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate",
                   "vnp_IpAddr", "vnp_OrderInfo"]
      else:
          order = ["vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
                   "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo"]
      q = overrides(q, [a for a in args[3:] if a != "!badsig"])
      h = sign("|".join(q.get(k, "") for k in order))
      q["vnp_SecureHash"] = ("0" * 128) if "!badsig" in args else h
      print(json.dumps(q))
  elif cmd == "api_verify":    # JSON_FILE -> ok when the answer's vnp_SecureHash signs its fields in VNPay's order
      a = json.load(open(args[0]))
      order = ["vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
               "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
               "vnp_TransactionStatus", "vnp_OrderInfo"]
      if a.get("vnp_Command") == "querydr": order += ["vnp_PromotionCode", "vnp_PromotionAmount"]
      print("ok" if hmac.compare_digest(sign("|".join(a.get(k, "") for k in order)), a.get("vnp_SecureHash", "")) else "bad")
  elif cmd == "today":
      print(now7()[:8])
  elif cmd == "fmtlog":      # IPN_LOG_JSON -> attempt:http_status:rsp_code:done ...
    print(" ".join("%d:%d:%s:%d" % (e["attempt"], e["http_status"], e["rsp_code"], e["done"]) for e in json.loads(args[0])))
  elif cmd == "len":         # JSON_LIST -> its length
    print(len(json.loads(args[0])))
  elif cmd == "payment":     # TRANSACTIONS_JSON TXN_REF MEMBER... -> that payment's members
    p = [p for p in json.loads(args[0])["payments"] if p["txn_ref"] == args[1]][0]
    print(" ".join(str(p[m]) for m in args[2:]))
  elif cmd == "received":    # LOG_FILE TXN_REF N -> the query of the Nth IPN received for TXN_REF
    qs = [json.loads(l)["query"] for l in open(args[0])]
    qs = [q for q in qs if dict(urllib.parse.parse_qsl(q)).get("vnp_TxnRef") == args[1]]
    print(qs[int(args[2]) - 1] if len(qs) >= int(args[2]) else "")
  elif cmd == "count":       # LOG_FILE TXN_REF -> the IPNs received for TXN_REF
    print(sum(1 for l in open(args[0]) if dict(urllib.parse.parse_qsl(json.loads(l)["query"])).get("vnp_TxnRef") == args[1]))
  elif cmd == "java_url":    # URL -> the same URL signed over the Java canonical string ('*' left as is)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(args[0]).query)); q.pop("vnp_SecureHash")
    c = "&".join(urllib.parse.quote_plus(k, safe="*") + "=" + urllib.parse.quote_plus(v, safe="*") for k, v in sorted(q.items()))
    print(args[0].split("&vnp_SecureHash=")[0] + "&vnp_SecureHash=" + sign(c))
  else:
    print("unknown command " + cmd)

# One process answers every call (starting Python is this test's main cost): a line of arguments separated by \x1f
# in, one line out.
for line in sys.stdin:
    parts = line.rstrip("\n").split("\x1f")
    try:
        run(parts[0], parts[1:])
    except Exception as e:
        print("error: %r" % e)
    sys.stdout.flush()
PY
coproc HELPER { python3 -S -u "$TMP/h.py" "$TMP/secret"; }
EXTRA_PIDS+=("$HELPER_PID")
# h COMMAND ARG... — one call to the helper (above); its one line of answer on stdout.
h() {
  local IFS=$'\x1f' answer
  printf '%s\n' "$*" >&"${HELPER[1]}" # (not in a pipeline: bash closes a coprocess's pipes there)
  read -r answer <&"${HELPER[0]}"
  printf '%s\n' "$answer"
}

read -r PORT RPORT <<<"$(free_ports 2)"
PS="http://127.0.0.1:$PORT"
PAGE="$PS/paymentv2/vpcpay.html"
API="$PS/merchant_webapi/api/transaction"
IPN_LOG="$TMP/received.jsonl"
: >"$IPN_LOG"
python3 "$SRC/tests/integration/vnpay_ipn_receiver.py" "$RPORT" "$IPN_LOG" &
EXTRA_PIDS+=($!)

expect_eq "bad arguments exit 2" 2 "$("$STANDIN" --port 0 --tmn-code SHORT --secret-file "$TMP/secret" \
  --ipn-url "http://127.0.0.1:$RPORT/ipn" 2>/dev/null; echo $?)"
expect_eq "an unreadable secret file exits 2" 2 "$("$STANDIN" --port 0 --tmn-code "$TMN" --secret-file "$TMP/none" \
  --ipn-url "http://127.0.0.1:$RPORT/ipn" 2>/dev/null; echo $?)"

ASAN_OPTIONS=halt_on_error=1 "$STANDIN" --port "$PORT" --tmn-code "$TMN" --secret-file "$TMP/secret" \
  --ipn-url "http://127.0.0.1:$RPORT/ipn" --ipn-retry-ms 100 --ipn-max-attempts 3 \
  --control-token-file "$TMP/control-token" 2>"$TMP/standin.log" &
STANDIN_PID=$!
EXTRA_PIDS+=("$STANDIN_PID")
up() { curl -s -o /dev/null "$PS/healthz" && curl -s -o /dev/null "http://127.0.0.1:$RPORT/healthz"; }
wait_until 10 up || { bad "the stand-in or the receiver did not start"; cat "$TMP/standin.log"; finish; exit 1; }

CTL=(-H "authorization: Bearer ctl-token-42")
ctl() { curl -s --max-time 10 "${CTL[@]}" "$@"; }
mode() { ctl -o /dev/null -X POST -H 'content-type: application/json' -d "$1" "$PS/control/mode"; }
script() { curl -s -X POST -d "$1" "http://127.0.0.1:$RPORT/script"; }
# status_of URL: GET, body in $TMP/page.html; error_code: the error page's code
status_of() { curl -s -o "$TMP/page.html" -w '%{http_code}' "$1"; }
error_code() { sed -n 's/.*id="error-code">\([0-9]*\)<.*/\1/p' "$TMP/page.html"; }
# pay_via_control TXN_REF CHOICE → the return URL
pay_via_control() {
  ctl -X POST -H 'content-type: application/json' -d "{\"txn_ref\":\"$1\",\"choice\":\"$2\"}" "$PS/control/pay" >"$TMP/pay.json"
  h fields "$TMP/pay.json" return_url
}
received_for() { h count "$IPN_LOG" "$1"; }
received_query() { h received "$IPN_LOG" "$1" "${2:-1}"; }
count_at_least() { [ "$(received_for "$1")" -ge "$2" ]; }
ipn_log() { ctl "$PS/control/ipn-log?txn_ref=$1"; }
log_len() { h len "$(ipn_log "$1")"; }
log_done_at() { h fmtlog "$(ipn_log "$1")"; }
# create_date TXN_REF: the payment's vnp_CreateDate as the stand-in recorded it
create_date() { h payment "$(ctl "$PS/control/transactions")" "$1" create_date; }
open_url() { status_of "$(h url "$PAGE" "$@")"; }

# ---- the control token ----
expect_eq "control without the token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$PS/control/transactions")"
expect_eq "control with another token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'authorization: Bearer ctl-token-43' "$PS/control/transactions")"
expect_eq "control with the token: 200" 200 "$(ctl -o /dev/null -w '%{http_code}' "$PS/control/transactions")"

# ---- payment URLs ----
URL_A=$(h url "$PAGE" A1)
expect_eq "a good payment URL shows the page" 200 "$(status_of "$URL_A")"
expect_match "the page shows the order info" 'id="order-info">Thanh toan ho so A1<' "$(cat "$TMP/page.html")"
expect_match "the page shows the amount in VND" 'id="amount">18.060 VND<' "$(cat "$TMP/page.html")"
expect_match "the page has the pay button" 'value="pay">Thanh toán<' "$(cat "$TMP/page.html")"
expect_match "the page has the cancel button" 'value="cancel">Hủy giao dịch<' "$(cat "$TMP/page.html")"
expect_eq "the same URL again shows the page again" 200 "$(status_of "$URL_A")"
open_url E1 '!badsig' >/dev/null; expect_eq "a wrong signature: 70" "400 70" "$(open_url E1 '!badsig') $(error_code)"
expect_eq "another merchant: 71" "400 71" "$(open_url E2 vnp_TmnCode=OTHERTMN) $(error_code)"
expect_eq "expired: 15" "400 15" "$(open_url E3 vnp_CreateDate=20200101000000 vnp_ExpireDate=20200101001500) $(error_code)"
expect_eq "an amount not a multiple of 100: 03" "400 03" "$(open_url E4 vnp_Amount=1806050) $(error_code)"
expect_eq "a zero amount: 03" "400 03" "$(open_url E5 vnp_Amount=000) $(error_code)"
expect_eq "version 2.0.1: 03" "400 03" "$(open_url E6 vnp_Version=2.0.1) $(error_code)"
expect_eq "currency USD: 03" "400 03" "$(open_url E7 vnp_CurrCode=USD) $(error_code)"
expect_eq "accents in the order info: 03" "400 03" "$(open_url E8 'vnp_OrderInfo=Thanh toán') $(error_code)"
expect_eq "no return URL: 03" "400 03" "$(open_url E9 vnp_ReturnUrl) $(error_code)"
expect_eq "an ftp return URL: 03" "400 03" "$(open_url E10 vnp_ReturnUrl=ftp://x/y) $(error_code)"
expect_eq "locale fr: 03" "400 03" "$(open_url E11 vnp_Locale=fr) $(error_code)"
expect_eq "a TxnRef of 101 characters: 03" "400 03" "$(open_url "$(printf 'R%.0s' {1..101})") $(error_code)"
expect_eq "a 31 February create date: 03" "400 03" "$(open_url E12 vnp_CreateDate=20260231000000) $(error_code)"
expect_eq "the same TxnRef the same day with another amount: 01" "400 01" "$(open_url A1 vnp_Amount=100) $(error_code)"
expect_eq "'*' in the order info signed the Java way is accepted" 200 "$(status_of "$(h java_url "$(h url "$PAGE" J1 'vnp_OrderInfo=Don *5*')")")"

# ---- the choice through the page: redirect and IPN ----
status_of "$URL_A" >/dev/null
GOOD_FORM=$(h form "$TMP/page.html" pay)
BAD_FORM=$(sed 's/token=[0-9a-f]*/token=00000000000000000000000000000000/' <<<"$GOOD_FORM")
expect_match "the page's form carries a token" 'token=[0-9a-f]{32}&choice=pay$' "$GOOD_FORM"
expect_eq "a form with another token is refused" 400 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data "$BAD_FORM" "$PS/paymentv2/choose")"
LOCATION=$(curl -s -o /dev/null -w '%{redirect_url}' -X POST --data "$GOOD_FORM" "$PS/paymentv2/choose")
expect_match "pay redirects to the return URL" "^$RETURN\?vnp_Amount=1806000&" "$LOCATION"
expect_eq "the redirect is signed" ok "$(h verify "$LOCATION")"
expect_eq "the redirect says paid" "00 00 NCB ATM" "$(h param "$LOCATION" vnp_ResponseCode vnp_TransactionStatus vnp_BankCode vnp_CardType)"
wait_until 10 count_at_least A1 1 || bad "no IPN for A1"
IPN_A=$(received_query A1)
expect_eq "the IPN is signed" ok "$(h verify "$IPN_A")"
expect_eq "the IPN carries what the redirect carries" "$(h params "$LOCATION")" "$(h params "$IPN_A")"
expect_eq "the IPN log: one attempt, answered 00" "1:200:00:1" "$(log_done_at A1)"
expect_eq "the page again after the choice: 01" "400 01" "$(status_of "$URL_A") $(error_code)"
expect_eq "the form again after the choice is refused" 400 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data "$(h form "$TMP/page.html" cancel)" "$PS/paymentv2/choose")"

# ---- cancel ----
status_of "$(h url "$PAGE" C1)" >/dev/null
LOC_C=$(pay_via_control C1 cancel)
expect_eq "cancel: 24 / 02, signed" "24 02 ok" "$(h param "$LOC_C" vnp_ResponseCode vnp_TransactionStatus) $(h verify "$LOC_C")"
expect_eq "control/pay of an unseen TxnRef: 404" 404 "$(ctl -o /dev/null -w '%{http_code}' -X POST -d '{"txn_ref":"NOPE","choice":"pay"}' "$PS/control/pay")"
expect_eq "control/pay twice: 409" 409 "$(ctl -o /dev/null -w '%{http_code}' -X POST -d '{"txn_ref":"C1","choice":"pay"}' "$PS/control/pay")"

# ---- retries: 99, then 00 ends it; 500 and non-JSON are retried too ----
script "99 00"
status_of "$(h url "$PAGE" R1)" >/dev/null
pay_via_control R1 pay >/dev/null
wait_until 10 count_at_least R1 2 || bad "R1: no second IPN"
wait_until 10 bash -c "[ \"\$(curl -s -H 'authorization: Bearer ctl-token-42' '$PS/control/ipn-log?txn_ref=R1' | grep -o '\"done\":true' | wc -l)\" = 1 ]"
expect_eq "retry after 99, stop at 00" "1:200:99:0 2:200:00:1" "$(log_done_at R1)"
script "http500 notjson 02"
status_of "$(h url "$PAGE" R2)" >/dev/null
pay_via_control R2 pay >/dev/null
wait_until 10 count_at_least R2 3 || bad "R2: not three IPNs"
wait_until 10 bash -c "curl -s -H 'authorization: Bearer ctl-token-42' '$PS/control/ipn-log?txn_ref=R2' | grep -q '\"done\":true'"
expect_eq "retry after HTTP 500 and a non-JSON answer, stop at 02" "1:500:00:0 2:200::0 3:200:02:1" "$(log_done_at R2)"
script "99 99 99 99"
status_of "$(h url "$PAGE" R3)" >/dev/null
pay_via_control R3 pay >/dev/null
wait_until 10 count_at_least R3 3 || bad "R3: not three IPNs"
wait_until 10 bash -c "[ \"\$(curl -s -H 'authorization: Bearer ctl-token-42' '$PS/control/ipn-log?txn_ref=R3' | grep -o '\"attempt\"' | wc -l)\" = 3 ]"
script ""
# The next deliveries finish after R3's last retry would have started (100 ms apart): still three.
status_of "$(h url "$PAGE" R4)" >/dev/null; pay_via_control R4 pay >/dev/null; wait_until 10 count_at_least R4 1
status_of "$(h url "$PAGE" R5)" >/dev/null; pay_via_control R5 pay >/dev/null; wait_until 10 count_at_least R5 1
expect_eq "--ipn-max-attempts 3: three attempts and no more" "3 3" "$(received_for R3) $(log_len R3)"

# ---- IPN modes ----
mode '{"ipn":"none"}'
status_of "$(h url "$PAGE" M0)" >/dev/null
LOC_M0=$(pay_via_control M0 pay)
expect_eq "mode none still redirects, signed" ok "$(h verify "$LOC_M0")"
mode '{"ipn":"duplicate"}'
status_of "$(h url "$PAGE" M1)" >/dev/null
pay_via_control M1 pay >/dev/null
wait_until 10 count_at_least M1 2 || bad "duplicate: not two IPNs"
expect_eq "duplicate: the same IPN twice" "$(received_query M1 1)" "$(received_query M1 2)"
wait_until 10 bash -c "[ \"\$(curl -s -H 'authorization: Bearer ctl-token-42' '$PS/control/ipn-log?txn_ref=M1' | grep -o '\"delivery\"' | wc -l)\" = 2 ]"
expect_match "duplicate: both logged, two deliveries" '"mode":"duplicate"' "$(ipn_log M1)"
expect_eq "mode none: no IPN at all (checked after later ones arrived)" "0 0" "$(received_for M0) $(log_len M0)"
mode '{"ipn":"bad_hash"}'
status_of "$(h url "$PAGE" M2)" >/dev/null
LOC_M2=$(pay_via_control M2 pay)
wait_until 10 count_at_least M2 1 || bad "bad_hash: no IPN"
expect_eq "bad_hash: the IPN does not verify, the redirect does" "bad ok" "$(h verify "$(received_query M2)") $(h verify "$LOC_M2")"
mode '{"ipn":"wrong_amount"}'
status_of "$(h url "$PAGE" M3)" >/dev/null
pay_via_control M3 pay >/dev/null
wait_until 10 count_at_least M3 1 || bad "wrong_amount: no IPN"
expect_eq "wrong_amount: +100, signed correctly" "1806100 ok" "$(h param "$(received_query M3)" vnp_Amount) $(h verify "$(received_query M3)")"
mode '{"ipn":"late","late_ms":1500}'
status_of "$(h url "$PAGE" M4)" >/dev/null
T0=$(date +%s%N)
LOC_M4=$(pay_via_control M4 pay)
expect_eq "late: the redirect at once, no IPN yet" "ok 0" "$(h verify "$LOC_M4") $(received_for M4)"
wait_until 10 count_at_least M4 1 || bad "late: no IPN"
expect_eq "late: the IPN came no sooner than late_ms" 1 "$(( ($(date +%s%N) - T0) / 1000000 >= 1500 ))"
mode '{"ipn":"normal","api":"normal","late_ms":0}'
ctl -o /dev/null -X POST -d '{"txn_ref":"A1"}' "$PS/control/ipn/resend"
wait_until 10 count_at_least A1 2 || bad "resend: no second IPN for A1"
expect_eq "resend: the same IPN again" "$(received_query A1 1)" "$(received_query A1 2)"
expect_eq "a bad mode: 400" 400 "$(ctl -o /dev/null -w '%{http_code}' -X POST -d '{"ipn":"sometimes"}' "$PS/control/mode")"

# ---- querydr ----
A1_DATE=$(h param "$URL_A" vnp_CreateDate)
api() { curl -s --max-time 10 -o "$TMP/api.json" -X POST -H 'content-type: application/json' -d "$1" "$API"; h fields "$TMP/api.json" vnp_ResponseCode; }
expect_eq "querydr paid: 00" 00 "$(api "$(h querydr A1 "$A1_DATE" Q1)")"
expect_eq "querydr paid: status 00, type 01, amount, signed" "00 01 1806000 ok" "$(h fields "$TMP/api.json" vnp_TransactionStatus vnp_TransactionType vnp_Amount) $(h api_verify "$TMP/api.json")"
expect_eq "querydr carries the IPN's transaction number" "$(h param "$IPN_A" vnp_TransactionNo)" "$(h fields "$TMP/api.json" vnp_TransactionNo)"
URL_P=$(h url "$PAGE" P1)  # never opened in a browser
status_of "$URL_P" >/dev/null
expect_eq "querydr of a URL with no choice: 00 / 01" "00 01" "$(api "$(h querydr P1 "$(h param "$URL_P" vnp_CreateDate)" Q2)") $(h fields "$TMP/api.json" vnp_TransactionStatus)"
C1_DATE=$(create_date C1)
expect_eq "querydr cancelled: 00 / 02" "00 02" "$(api "$(h querydr C1 "$C1_DATE" Q3)") $(h fields "$TMP/api.json" vnp_TransactionStatus)"
expect_eq "querydr of an unknown TxnRef: 91, signed" "91 ok" "$(api "$(h querydr NOPE "$A1_DATE" Q4)") $(h api_verify "$TMP/api.json")"
expect_eq "querydr with another TransactionDate: 91" 91 "$(api "$(h querydr A1 20200101000000 Q5)")"
expect_eq "querydr with a bad checksum: 97" 97 "$(api "$(h querydr A1 "$A1_DATE" Q6 '!badsig')")"
expect_eq "querydr with a repeated RequestId: 94" 94 "$(api "$(h querydr A1 "$A1_DATE" Q1)")"
expect_eq "querydr of another merchant: 02" 02 "$(api "$(h querydr A1 "$A1_DATE" Q7 vnp_TmnCode=OTHERTMN)")"
expect_eq "querydr without vnp_IpAddr: 03" 03 "$(api "$(h querydr A1 "$A1_DATE" Q8 vnp_IpAddr)")"

# ---- refunds ----
R1_DATE=$(create_date R1)
expect_eq "refund of a cancelled payment: 95" 95 "$(api "$(h refund C1 "$C1_DATE" F0)")"
P1_DATE=$(h param "$URL_P" vnp_CreateDate)
expect_eq "refund of an unpaid payment: 95" 95 "$(api "$(h refund P1 "$P1_DATE" F1)")"
expect_eq "a full refund for less than the whole: 03" 03 "$(api "$(h refund A1 "$A1_DATE" F2 vnp_Amount=1000000)")"
expect_eq "a full refund: 00, status 05, type 02, signed" "00 05 02 ok" "$(api "$(h refund A1 "$A1_DATE" F3)") $(h fields "$TMP/api.json" vnp_TransactionStatus) $(h fields "$TMP/api.json" vnp_TransactionType) $(h api_verify "$TMP/api.json")"
REFUND_NO=$(h fields "$TMP/api.json" vnp_TransactionNo)
expect_eq "the refund has its own transaction number" 1 "$([ -n "$REFUND_NO" ] && [ "$REFUND_NO" != "$(h param "$IPN_A" vnp_TransactionNo)" ] && echo 1)"
expect_eq "a refund after a full refund: 94" 94 "$(api "$(h refund A1 "$A1_DATE" F4 vnp_TransactionType=03 vnp_Amount=100)")"
expect_eq "a partial refund: 00" "00 03" "$(api "$(h refund R1 "$R1_DATE" F5 vnp_TransactionType=03 vnp_Amount=806000)") $(h fields "$TMP/api.json" vnp_TransactionType)"
expect_eq "a partial refund over the remaining: 03" 03 "$(api "$(h refund R1 "$R1_DATE" F6 vnp_TransactionType=03 vnp_Amount=1000100)")"
expect_eq "a refund with a bad checksum: 97" 97 "$(api "$(h refund R1 "$R1_DATE" F7 vnp_TransactionType=03 vnp_Amount=100 '!badsig')")"
expect_eq "a refund with a repeated RequestId: 94" 94 "$(api "$(h refund R1 "$R1_DATE" F5 vnp_TransactionType=03 vnp_Amount=100)")"
expect_eq "the remaining refundable amount" "1000000 806000" "$(h payment "$(ctl "$PS/control/transactions")" R1 remaining refunded)"

# ---- api modes ----
mode '{"api":"fail"}'
expect_eq "api fail: 99, signed" "99 ok" "$(api "$(h querydr A1 "$A1_DATE" Q9)") $(h api_verify "$TMP/api.json")"
mode '{"api":"timeout"}'
expect_eq "api timeout: no answer within the client's 1 s" 28 "$(curl -s -o /dev/null --max-time 1 -X POST -d "$(h querydr A1 "$A1_DATE" Q10)" "$API"; echo $?)"
expect_eq "api timeout does not block the rest" 200 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$PS/healthz")"
mode '{"ipn":"normal","api":"normal"}'
expect_eq "back to normal" 00 "$(api "$(h querydr A1 "$A1_DATE" Q11)")"

# ---- the daily statement ----
TODAY=$(h today)
ctl -o "$TMP/statement.csv" -D "$TMP/statement.headers" "$PS/control/statement?date=$TODAY"
expect_match "the statement is CSV" 'text/csv' "$(grep -i '^content-type' "$TMP/statement.headers")"
expect_eq "the statement's header" "tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code" "$(head -1 "$TMP/statement.csv" | tr -d '\r')"
# Payments made: A1 R1 R2 R3 R4 R5 M0 M1 M2 M3 M4 (C1 cancelled, P1 pending); refunds: A1 full, R1 partial.
expect_eq "one line per payment and refund of the day" "11 2" "$(grep -c ',01,' "$TMP/statement.csv") $(grep -c ',0[23],' "$TMP/statement.csv")"
expect_match "the full refund's line" "^$TMN,A1,$REFUND_NO,02,1806000,$TODAY[0-9]{6},00,NCB" "$(grep ",02," "$TMP/statement.csv" | tr -d '\r')"
expect_eq "no line for cancelled or unfinished payments" 0 "$(grep -c -E ',(C1|P1),' "$TMP/statement.csv")"
expect_eq "another day: the header alone" 1 "$(ctl "$PS/control/statement?date=20200101" | wc -l)"
expect_eq "a bad date: 400" 400 "$(ctl -o /dev/null -w '%{http_code}' "$PS/control/statement?date=2020-01-01")"

# ---- the log ----
expect_no_match "the secret is never logged" "$SECRET" "$(cat "$TMP/standin.log")"
expect_no_match "no query is logged" 'vnp_' "$(grep -v 'IPN\|mode' "$TMP/standin.log")"
expect_match "one log line per request" 'payment-standin: GET /paymentv2/vpcpay.html 200' "$(cat "$TMP/standin.log")"
kill -TERM "$STANDIN_PID"; wait "$STANDIN_PID"
expect_eq "SIGTERM stops it cleanly" 0 "$?"
expect_no_match "no sanitizer report" 'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$TMP/standin.log")"
finish
