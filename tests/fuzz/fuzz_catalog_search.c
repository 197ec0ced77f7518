/*
 * tests/fuzz/fuzz_catalog_search.c — libFuzzer target for the catalog search in memory (modules/procedures/
 * catalog_index.h: catalog_index.c, catalog_vocab.c, catalog_search.c, catalog_rank.c, catalog_counts.c): the query
 * string is anything a client sends.
 *
 * Input: byte 0 the page (1-3), byte 1 the page size (1-24), byte 2 the filters (domain and unit, known or not), the
 * rest q. Oracle beyond "no crash": the answer is byte for byte what a slow reference written here from the rule
 * (catalog_index.h, procedures migration 0016) gives: every doc checked word by word with memmem, every token window
 * of every doc scored, all of them sorted with qsort. It shares only the folding and pg_trgm's trigrams (catalog_fold.c,
 * catalog_trgm.c, tested against PostgreSQL elsewhere). The catalog has repeated words, words inside others,
 * punctuation, double spaces, non-ASCII letters and names of equal length, so ties and bounds are exercised.
 */
#include "modules/procedures/catalog_fold.h"
#include "modules/procedures/catalog_index.h"
#include "modules/procedures/catalog_trgm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW(code, domain, text, name, len, units)                                                                     \
    {code, domain, text, name, len, "{\"code\": \"" code "\"}", units, NULL, 0, 1}

static const catalog_row_t ROWS[] = {
    ROW("1.000001", "ho-tich", "dang ky khai sinh birth registration 1.000001", "dang ky khai sinh", 17, "W1 W2"),
    ROW("1.000002", "ho-tich", "dang ky khai sinh luu dong birth registration mobile 1.000002",
        "dang ky khai sinh luu dong", 26, "W1"),
    ROW("1.000003", "ho-tich", "dang ky ket hon marriage registration 1.000003", "dang ky ket hon", 15, "W2"),
    ROW("1.000004", "ho-tich", "dang ky lai khai sinh doi voi ca nhan re-registration 1.000004",
        "dang ky lai khai sinh doi voi ca nhan", 37, "W1 W2 D1"),
    ROW("1.000005", "giao-thong", "dang ky xe vehicle registration 1.000005", "dang ky xe", 10, "D2"),
    ROW("1.000006", "giao-thong", "cap giay phep lai xe driving licence 1.000006", "cap giay phep lai xe", 20, "D2"),
    ROW("1.000007", "dat-dai", "cap giay chung nhan quyen su dung dat land use certificate 1.000007",
        "cap giay chung nhan quyen su dung dat", 37, "D1"),
    ROW("1.000008", "dat-dai", "cap lai giay chung nhan, cap doi (mat, hu hong) certificate 1.000008",
        "cap lai giay chung nhan, cap doi (mat, hu hong)", 45, "D1 W1"),
    ROW("2.000001", "ho-tich", "xac nhan tinh trang hon nhan marital status 2.000001", "xac nhan tinh trang hon nhan",
        27, "W1 W2"),
    ROW("2.000002", "ho-tich", "cap ban sao trich luc ho tich  copy of civil status extract 2.000002",
        "cap ban sao trich luc ho tich", 29, "W2"),
    ROW("2.000003", "cu-tru", "dang ky thuong tru doi voi to chuc permanent residence 2.000003",
        "dang ky thuong tru doi voi to chuc", 34, "W1"),
    ROW("2.000004", "cu-tru", "dang ky tam tru tam tru temporary residence 2.000004", "dang ky tam tru tam tru", 23,
        "W2"),
    ROW("2.000005", "y-te", "cap phep hanh nghe kham benh, chua benh practice licence 2.000005",
        "cap phep hanh nghe kham benh, chua benh", 39, "D3"),
    ROW("2.000006", "y-te", "cafe ca phe ca-phe ga\xd0\xb6 zhuk \xd0\xb6\xd1\x83\xd0\xba 2.000006", "cafe ca phe",
        11, "D3"),
    ROW("2.000007", "van-hoa", "cong nhan gia dinh van hoa cultural family recognition 2.000007",
        "cong nhan gia dinh van hoa", 26, "W1 W2"),
    ROW("2.000008", "van-hoa", "dang ky le hoi festival registration 2.000008", "dang ky le hoi", 14, "D4"),
    ROW("2.000009", "van-hoa", "dang ky le hoi dang ky festival registration again 2.000009",
        "dang ky le hoi dang ky", 22, "D4"),
    ROW("3.000001", "thue", "khai thue thu nhap ca nhan personal income tax 3.000001", "khai thue thu nhap ca nhan", 26,
        ""),
    ROW("3.000002", "thue", "khai sinh khai tu khai thue 3.000002", "khai sinh khai tu khai thue", 26, "D5"),
    ROW("3.000003", "thue", "nhan nhanh nhan cap 3.000003", "nhan nhanh nhan cap", 19, "D5"),
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

static catalog_index_t *index_;

/* ---- the reference: the rule, slowly ---- */

typedef struct ref_hit {
    double score;
    int cls; /* 0 name = q, 1 starts with q, 2 else */
    size_t row;
} ref_hit_t;

static size_t trigrams(const char *s, size_t n, catalog_trgm_t *out)
{
    return catalog_trgm_unique(out, catalog_trgm_extract(s, n, out));
}

static int in_set(const catalog_trgm_t *set, size_t n, catalog_trgm_t t)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == t)
            return 1;
    return 0;
}

/* the best window of the row's tokens: c / (nq + u) as a fraction, then as a double */
static double ref_score(const char *text, const catalog_trgm_t *q, size_t nq)
{
    enum { MAXTOK = 64, MAXTRI = 128 };
    catalog_trgm_t tri[MAXTOK][MAXTRI];
    size_t ntri[MAXTOK], nfound[MAXTOK], ntok = 0, len = strlen(text);
    for (size_t i = 0; i < len && ntok < MAXTOK;) {
        size_t n = strcspn(text + i, " ");
        if (n > 0 && n + 1 < MAXTRI) {
            ntri[ntok] = trigrams(text + i, n, tri[ntok]);
            nfound[ntok] = 0;
            for (size_t k = 0; k < ntri[ntok]; k++)
                nfound[ntok] += (size_t)in_set(q, nq, tri[ntok][k]);
            ntok++;
        }
        i += n + 1;
    }
    uint64_t best_c = 0, best_den = 1;
    for (size_t a = 0; a < ntok; a++) {
        for (size_t b = a; b < ntok; b++) {
            if (nfound[a] == 0 || nfound[b] == 0)
                continue;
            catalog_trgm_t seen[MAXTOK * MAXTRI];
            size_t c = 0, u = 0;
            for (size_t j = a; j <= b; j++) {
                u += ntri[j] - nfound[j];
                for (size_t k = 0; k < ntri[j]; k++)
                    if (in_set(q, nq, tri[j][k]) && !in_set(seen, c, tri[j][k]))
                        seen[c++] = tri[j][k];
            }
            if ((uint64_t)c * best_den > best_c * (nq + u))
                best_c = c, best_den = nq + u;
        }
    }
    return best_c == 0 ? 0.0 : (double)best_c / (double)best_den;
}

static int compare_ref(const void *a, const void *b)
{
    const ref_hit_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (ROWS[x->row].name_length != ROWS[y->row].name_length)
        return ROWS[x->row].name_length < ROWS[y->row].name_length ? -1 : 1;
    return strcmp(ROWS[x->row].code, ROWS[y->row].code);
}

static int passes(size_t r, const char *domain, const char *unit)
{
    if (domain != NULL && strcmp(ROWS[r].domain, domain) != 0)
        return 0;
    if (unit == NULL)
        return 1;
    size_t n = strlen(unit);
    for (const char *u = ROWS[r].units; (u = strstr(u, unit)) != NULL; u += n)
        if ((u == ROWS[r].units || u[-1] == ' ') && (u[n] == ' ' || u[n] == '\0'))
            return 1;
    return 0;
}

/* q folded and not empty: the matching rows, sorted */
static size_t ref_hits(const char *q, const char *domain, const char *unit, ref_hit_t *hits)
{
    size_t qn = strlen(q), nq, n = 0, total_weight = 0;
    catalog_trgm_t *tq = malloc((qn + 2) * sizeof *tq), *tw = malloc((qn + 2) * sizeof *tw);
    nq = trigrams(q, qn, tq);
    for (size_t i = 0; i < qn; i += strcspn(q + i, " ") + 1)
        total_weight += trigrams(q + i, strcspn(q + i, " "), tw);
    for (size_t r = 0; r < NROWS; r++) {
        size_t found = 0, every = 1;
        for (size_t i = 0; i < qn; i += strcspn(q + i, " ") + 1) {
            size_t wl = strcspn(q + i, " ");
            char *word = strndup(q + i, wl);
            if (strstr(ROWS[r].search_text, word) != NULL)
                found += trigrams(q + i, wl, tw);
            else
                every = 0;
            free(word);
        }
        if (!(every || (total_weight > 0 && 5 * found >= 3 * total_weight)) || !passes(r, domain, unit))
            continue;
        const char *name = ROWS[r].name_folded;
        int starts = strncmp(name, q, qn) == 0;
        hits[n++] = (ref_hit_t){ref_score(ROWS[r].search_text, tq, nq), starts && name[qn] == '\0' ? 0 : starts ? 1 : 2,
                                r};
    }
    free(tq), free(tw);
    qsort(hits, n, sizeof *hits, compare_ref);
    return n;
}

static char *ref_answer(const char *q_raw, size_t q_len, const char *domain, const char *unit, int page, int size,
                        int *invalid)
{
    char *q = malloc(CATALOG_FOLD_MAX(q_len));
    long qn = catalog_fold_query(q_raw, q_len, q, CATALOG_FOLD_MAX(q_len));
    *invalid = qn < 0;
    ref_hit_t hits[NROWS];
    size_t n = 0;
    if (qn > 0) {
        n = ref_hits(q, domain, unit, hits);
    } else if (qn == 0) {
        for (size_t r = 0; r < NROWS; r++) /* rows are in code order */
            if (passes(r, domain, unit))
                hits[n++] = (ref_hit_t){0.0, 2, r};
    }
    free(q);
    if (*invalid)
        return NULL;
    size_t cap = 4096, at = 0;
    char *out = malloc(cap);
    at += (size_t)snprintf(out + at, cap - at, "{\"page\": %d, \"items\": [", page);
    for (size_t i = (size_t)(page - 1) * (size_t)size, k = 0; i < n && k < (size_t)size; i++, k++)
        at += (size_t)snprintf(out + at, cap - at, "%s%s", k > 0 ? ", " : "", ROWS[hits[i].row].item_json);
    snprintf(out + at, cap - at, "], \"total\": %zu, \"page_size\": %d}", n, size);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (index_ == NULL && (index_ = catalog_index_build(ROWS, NROWS, 1)) == NULL)
        abort();
    if (size < 3 || size > 3 + 200) /* the route takes at most 200 bytes of q */
        return 0;
    static const char *domains[] = {NULL, "ho-tich", "thue", "nope"};
    static const char *units[] = {NULL, "W1", "D5", "W"};
    int page = 1 + data[0] % 3, page_size = 1 + data[1] % 24;
    const char *domain = domains[data[2] & 3], *unit = units[(data[2] >> 2) & 3];
    const char *q = (const char *)data + 3;
    size_t q_len = size - 3;
    catalog_search_args_t a = {q, q_len, domain, domain ? strlen(domain) : 0, unit, unit ? strlen(unit) : 0, page,
                               page_size};
    size_t len = 0;
    int invalid = 0, ref_invalid = 0;
    char *got = catalog_index_search(index_, &a, &len, &invalid);
    char *want = ref_answer(q, q_len, domain, unit, page, page_size, &ref_invalid);
    if (invalid != ref_invalid || (got == NULL) != (want == NULL) ||
        (got != NULL && (strlen(got) != len || strcmp(got, want) != 0))) {
        fprintf(stderr, "q=%.*s page=%d size=%d domain=%s unit=%s\n  got:  %s\n  want: %s\n", (int)q_len, q, page,
                page_size, domain ? domain : "-", unit ? unit : "-", got ? got : "(null)", want ? want : "(null)");
        abort();
    }
    free(got), free(want);
    return 0;
}
