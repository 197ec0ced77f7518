#!/usr/bin/env python3
"""200 real-looking catalog searches, made from the seeded catalog's own names (test_catalog_memory.sh).

    catalog_queries.py CATALOG.tsv OUT_DIR

CATALOG.tsv: code, name_vi, name_folded, domain, one unit — one procedure a line, sorted by code. Writes
OUT_DIR/queries.sql (one `SELECT catalog_search(...)::text;` a line) and OUT_DIR/paths (the same searches as
GET paths, one a line, in the same order). Deterministic: every 13th procedure gives five searches — its name as
written, unaccented, its first two words in capitals, a prefix (first word and the start of the second), and either a
typo (a letter changed: fuzzy, trigram-close) or a string no procedure holds — some with a domain or unit filter, a
later page or a small page size. Ten more cover the edges: empty q, one letter, punctuation only, spaces, đ/Đ.
"""
import sys
import urllib.parse

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
out = sys.argv[2]
searches = []  # (q, domain, unit, page, page_size)
picked = rows[::13][:38]
for i, (code, name, folded, domain, unit) in enumerate(picked):
    words = folded.split()
    searches.append((name, None, None, 1, 20))
    searches.append((folded, domain if i % 3 == 0 else None, None, 1, 20))
    searches.append((" ".join(name.split()[:2]).upper(), None, unit if i % 4 == 0 else None, 1 + i % 2, 10))
    searches.append((words[0] + " " + (words[1][:3] if len(words) > 1 else ""), None, None, 1, 5 + i % 20))
    if i % 2 == 0:
        w = list(folded)
        mid = len(w) // 2
        w[mid] = "q" if w[mid] != "q" else "x"
        searches.append(("".join(w), None, None, 1, 20))
    else:
        searches.append(("xq" + words[-1] + "zz " + code, None, None, 1, 20))
searches += [(None, None, None, 1, 20), ("", None, None, 3, 7), ("d", None, None, 1, 20), ("k", "ho-tich", None, 2, 20),
             ("!!!", None, None, 1, 20), ("   Đăng   KÝ  ", None, None, 1, 20), ("đất đai", None, None, 1, 50),
             ("ĐĂNG KÝ KHAI SINH", None, "HN-W-001", 1, 20), ("cap lai", None, None, 2, 100), ("1.001193", None, None, 1, 20)]
assert len(searches) == 200, len(searches)


def lit(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


with open(out + "/queries.sql", "w", encoding="utf-8") as f:
    for q, domain, unit, page, size in searches:
        f.write("SELECT catalog_search(%s, %s, %s, %d, %d)::text;\n" % (lit(q), lit(domain), lit(unit), page, size))
with open(out + "/paths", "w", encoding="utf-8") as f:
    for q, domain, unit, page, size in searches:
        params = [(k, v) for k, v in (("q", q), ("domain", domain), ("unit", unit)) if v is not None and v != ""]
        params += [("page", str(page)), ("page_size", str(size))]
        f.write("/v1/procedures?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote) + "\n")
