#!/usr/bin/env python3
"""tests/integration/payment_fixture.py — a payment at the stand-in VNPay (tools/payment_standin) without cong's
intent flow, for the refund and reconciliation tests: a payment URL signed as VNPay 2.1.0 says (vnp_* sorted by name,
PHP urlencode, HMAC-SHA512 with the merchant secret), accepted by the stand-in's page, then paid (or left unpaid)
through its control API. Prints "TRANSACTION_NO PAY_DATE" (empty fields when unpaid).

    payment_fixture.py STANDIN_URL SECRET_FILE TMN_CODE TXN_REF AMOUNT_VND CREATED_EPOCH pay|leave
"""
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
import urllib.request


def gmt7(epoch):
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch + 7 * 3600))


def call(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def main():
    base, secret_file, tmn, txn_ref, amount, created, choice = sys.argv[1:8]
    secret = open(secret_file).readline().strip().encode()
    created = int(created)
    params = {
        "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": tmn, "vnp_Amount": str(int(amount) * 100),
        "vnp_CurrCode": "VND", "vnp_TxnRef": txn_ref, "vnp_OrderInfo": "Thanh toan le phi " + txn_ref,
        "vnp_OrderType": "other", "vnp_ReturnUrl": "http://127.0.0.1/return", "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": gmt7(created), "vnp_ExpireDate": gmt7(created + 3600), "vnp_Locale": "vn",
    }
    canonical = "&".join(urllib.parse.quote_plus(k, safe="-_.") + "=" + urllib.parse.quote_plus(v, safe="-_.")
                         for k, v in sorted(params.items()))
    signature = hmac.new(secret, canonical.encode(), hashlib.sha512).hexdigest()
    call(f"{base}/paymentv2/vpcpay.html?{canonical}&vnp_SecureHash={signature}")
    if choice == "pay":
        call(f"{base}/control/pay", {"txn_ref": txn_ref, "choice": "pay"})
    payments = json.loads(call(f"{base}/control/transactions"))["payments"]
    mine = [p for p in payments if p["txn_ref"] == txn_ref][-1]
    print(mine["transaction_no"], mine["pay_date"])


if __name__ == "__main__":
    main()
