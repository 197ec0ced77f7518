#!/usr/bin/env python3
"""Never-seen catalog searches for bench/search.sh: NAMES.tsv (name_vi TAB name_folded a line) BASE_URL COUNT.

Prints COUNT GET URIs, each a different query string: cycling through the procedures, a search is the name as
written, unaccented, the first two or three words, a prefix of the first words (what a citizen types), or a word of
one name with a word of another; then a serial number as one more word keeps each string new (it matches nothing,
so the answer is what the words before it find by similarity alone, or nothing — both paths do the same work).
"""
import sys
import urllib.parse

names = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8") if "\t" in line]
base, count = sys.argv[2], int(sys.argv[3])
shapes = [
    lambda vi, f, o: vi,
    lambda vi, f, o: f,
    lambda vi, f, o: " ".join(vi.split()[:2]),
    lambda vi, f, o: " ".join(f.split()[:3]),
    lambda vi, f, o: f[: max(3, len(f) // 3)],
    lambda vi, f, o: f.split()[-1] + " " + o.split()[0],
]
for i in range(count):
    vi, folded = names[i % len(names)]
    other = names[(i * 7 + 3) % len(names)][1]
    q = shapes[i % len(shapes)](vi, folded, other).strip() or folded
    if i >= len(names) * len(shapes):  # every (name, shape) once as is; after that a serial keeps them new
        q = "%s %d" % (q, i)
    print(base + "/v1/procedures?" + urllib.parse.urlencode({"q": q}, quote_via=urllib.parse.quote))
