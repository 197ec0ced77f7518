#!/usr/bin/env python3
"""Loads cong's /docs in headless Chromium over the DevTools protocol and reports what a person would see.

    python3 docs_page.py DEVTOOLS_PORT PAGE_URL OPERATION_IDS_FILE TIMEOUT_S

Before the page loads it listens to every request the page makes (Network), every console message, exception and
browser log entry (Runtime, Log) and every Content-Security-Policy violation (a listener the page gets before its own
scripts run). It then waits — for a condition, up to TIMEOUT_S — until every operationId of OPERATION_IDS_FILE (one a
line) is an operation section of the rendered page (Redoc names them "…operation/<operationId>"), and prints one JSON
object: the operationIds missing, the URLs requested, the errors and violations, and the text of each operation's
section (innerText: what is rendered and not hidden). Exits 1 when the wait ran out.
"""
import json
import select
import sys
import time

from cdp import WebSocket, page_ws

# Collected in the page from its first script on: CSP violations and what Redoc rendered.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0)));
"""
SECTIONS = """
(() => {
  const out = {};
  for (const el of document.querySelectorAll('[data-section-id]')) {
    const m = /(?:^|\\/)operation\\/([^/]+)$/.exec(el.getAttribute('data-section-id'));
    if (m && el.getClientRects().length > 0) out[decodeURIComponent(m[1])] = el.innerText;
  }
  return {sections: out, violations: window.__cspViolations || []};
})()
"""


class Page:
    def __init__(self, port):
        self.ws = WebSocket(page_ws(port))
        self.next_id = 0
        self.requests, self.errors = [], []

    def call(self, method, params=None):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        while True:
            message = self.receive()
            if message is not None and message.get("id") == ident:
                if "error" in message:
                    raise SystemExit("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def receive(self):
        """One message, its events recorded; None when none starts within 0.1 s (a frame begun is read whole)."""
        if not select.select([self.ws.sock], [], [], 0.1)[0]:
            return None
        opcode, data = self.ws.recv()
        if opcode != 1:
            return None
        message = json.loads(data)
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append("log (%s): %s %s" % (params["entry"].get("source"), params["entry"].get("text"),
                                                    params["entry"].get("url", "")))
        return message

    def evaluate(self, expression):
        """The expression's value; None while there is no page to evaluate in (a navigation under way)."""
        try:
            result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        except SystemExit:
            return None
        return result.get("result", {}).get("value")


def main():
    port, url, ids_file, timeout_s = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
    wanted = [line.strip() for line in open(ids_file, encoding="utf-8") if line.strip()]
    page = Page(port)
    for domain in ("Network", "Runtime", "Log", "Page"):
        page.call(domain + ".enable")
    page.call("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_VIOLATIONS})
    page.call("Page.navigate", {"url": url})
    deadline = time.time() + timeout_s
    seen = {}
    while True:
        state = page.evaluate(SECTIONS) or {"sections": {}, "violations": []}
        seen = state["sections"]
        missing = [op for op in wanted if op not in seen]
        if not missing or time.time() > deadline:
            break
        until = time.time() + 0.2  # meanwhile, take the events that came
        while time.time() < until:
            page.receive()
    while page.receive() is not None:  # the events still queued (a late CSP report, a failed request)
        pass
    violations = (page.evaluate(SECTIONS) or state)["violations"]
    print(json.dumps({"missing": missing, "rendered": len(seen), "requests": page.requests, "errors": page.errors,
                      "violations": violations, "sections": seen}, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
