#!/usr/bin/env python3
"""bench/search_relevance.py — does the catalog search find what a citizen meant, before and after issue 17?

Makes queries from the catalog's own names, each with the procedure(s) it was made from, then compares two searches
on the same queries, page 1 of 20:
  before  catalog_search_trgm (migration 0014's catalog_search, pg_trgm's word_similarity, created again under that
          name by bench/search.sh in the bench's database only), asked in PostgreSQL;
  after   the gateway's search in memory (catalog_index.h, the rule of migration 0016), asked in-process
          (bench/search_inprocess.c with SEARCH_INPROCESS_FIRST_PAGE=1), which gives catalog_search's very bytes
          (test_catalog_memory).
Query classes (seeded, so every run asks the same): the name as written (accents, capitals), unaccented, the first
three words, a prefix being typed (cut inside a word), one letter wrong, a middle word dropped, an extra word.
A hit is any procedure with the target's name (several share a name: commune and city level, or who applies).
Prints a markdown table: hit@1, hit@5, MRR over the first 20 (0 when not there) and the mean total, per class.

usage: search_relevance.py CATALOG_TSV PSQL_CMD INPROCESS ROWS OUT_DIR [N]
  CATALOG_TSV  code <TAB> name_vi <TAB> name_folded, one procedure a line
  PSQL_CMD     the psql command line (a string) for the bench's database, where catalog_search_trgm exists
  INPROCESS    bench/search_inprocess built; ROWS its rows file (bench/search.sh makes both)
  N            queries (default 3000)
"""
import collections
import random
import shlex
import subprocess
import sys

CLASSES = ['written', 'unaccented', 'first3', 'typing', 'typo', 'dropword', 'extraword']
EXTRA = ['cho con', 'online', 'nhanh', 'o ha noi', 'thu tuc', 'mau don']
LETTERS = 'abcdeghiklmnopqrstuvxy'


def make_queries(catalog, n, rng):
    by_name = collections.defaultdict(set)
    for code, _, folded in catalog:
        by_name[folded].add(code)
    out = []
    for code, name_vi, folded in catalog:
        w = folded.split()
        target = by_name[folded]
        made = {'written': name_vi, 'unaccented': folded}
        if len(w) > 3:
            made['first3'] = ' '.join(w[:3])
        if len(w) > 2:
            k = rng.randint(2, len(w))
            made['typing'] = ' '.join(w[:k - 1] + [w[k - 1][:max(1, len(w[k - 1]) // 2)]])
        long_words = [i for i, x in enumerate(w) if len(x) >= 3]
        if long_words:
            i = rng.choice(long_words)
            j = rng.randrange(len(w[i]))
            typo = w[:]
            typo[i] = w[i][:j] + rng.choice([c for c in LETTERS if c != w[i][j]]) + w[i][j + 1:]
            made['typo'] = ' '.join(typo)
        if len(w) > 3:
            i = rng.randrange(1, len(w) - 1)
            made['dropword'] = ' '.join(w[:i] + w[i + 1:])
        made['extraword'] = folded + ' ' + rng.choice(EXTRA)
        out += [(cls, q, target) for cls, q in made.items()]
    rng.shuffle(out)
    return out[:n]


def sql_literal(s):
    return "'" + s.replace("'", "''") + "'"


def ask_before(psql, queries, out_dir):
    path = out_dir + '/relevance-before.sql'
    with open(path, 'w', encoding='utf-8') as f:
        for _, q, _ in queries:
            f.write("SELECT coalesce((SELECT string_agg(i->>'code', ' ' ORDER BY n) FROM jsonb_array_elements(r->'items')"
                    " WITH ORDINALITY x(i, n)), '') || chr(9) || (r->>'total') FROM catalog_search_trgm(%s, NULL, NULL,"
                    " 1, 20) r;\n" % sql_literal(q))
    res = subprocess.run(shlex.split(psql) + ['-At', '-f', path], capture_output=True, text=True, check=True)
    return [line.split('\t') for line in res.stdout.splitlines()]


def ask_after(inprocess, rows, queries, out_dir):
    qpath, apath = out_dir + '/relevance-queries.txt', out_dir + '/relevance-after.txt'
    with open(qpath, 'w', encoding='utf-8') as f:
        for _, q, _ in queries:
            f.write(q + '\n')
    env = {'SEARCH_INPROCESS_FIRST_PAGE': '1', 'PATH': '/usr/bin:/bin'}
    subprocess.run([inprocess, rows, qpath, apath], env=env, check=True, capture_output=True)
    answers = []
    for line in open(apath, encoding='utf-8'):
        codes = [part.split('"')[0] for part in line.split('{"code": "')[1:]]
        total = line.split('"total": ')[1].split(',')[0] if '"total": ' in line else '0'
        answers.append([' '.join(codes), total])
    return answers


def score(queries, answers):
    agg = collections.defaultdict(lambda: [0, 0, 0.0, 0, 0])
    for (cls, _, target), (codes, total) in zip(queries, answers):
        a = agg[cls]
        codes = codes.split()
        rank = next((i for i, c in enumerate(codes) if c in target), None)
        if rank is not None:
            a[0] += rank == 0
            a[1] += rank < 5
            a[2] += 1.0 / (rank + 1)
        a[3] += int(total or 0)
        a[4] += 1
    return agg


def main():
    catalog_tsv, psql, inprocess, rows, out_dir = sys.argv[1:6]
    n = int(sys.argv[6]) if len(sys.argv) > 6 else 3000
    catalog = [line.rstrip('\n').split('\t') for line in open(catalog_tsv, encoding='utf-8')]
    queries = make_queries(catalog, n, random.Random(17))
    before, after = ask_before(psql, queries, out_dir), ask_after(inprocess, rows, queries, out_dir)
    if len(before) != len(queries) or len(after) != len(queries):
        sys.exit('relevance: %d queries, %d answers before, %d after' % (len(queries), len(before), len(after)))
    b, a = score(queries, before), score(queries, after)
    print('| query class | queries | hit@1 before / after | hit@5 before / after | MRR before / after '
          '| mean total before / after |')
    print('|---|---:|---:|---:|---:|---:|')
    for cls in CLASSES + ['all']:
        if cls == 'all':
            rb = [sum(x[k] for x in b.values()) for k in range(5)]
            ra = [sum(x[k] for x in a.values()) for k in range(5)]
        elif cls in b:
            rb, ra = b[cls], a[cls]
        else:
            continue
        m = rb[4]
        print('| %s | %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.0f / %.0f |' % (
            cls, m, rb[0] / m, ra[0] / m, rb[1] / m, ra[1] / m, rb[2] / m, ra[2] / m, rb[3] / m, ra[3] / m))


if __name__ == '__main__':
    main()
