-- procedures 0016: catalog search v2, "word windows" (issue 17 part 1). Why: pg_trgm's word_similarity (0004/0014) is
-- a greedy scan, quadratic in the text, per procedure; the in-memory search had to reproduce it byte for byte and could
-- not do so at the speed issue 17 asks (~450 us a search). The new rule is decided per space-separated token with
-- trigram sets, cheap in C and in SQL: the C search (catalog_search.c, catalog_index.h) gives the same bytes as this
-- function for every query. The rule, q folded as before (lower case, unaccented, single spaces), Q = show_trgm(q),
-- nq = |Q|:
--  * match: every word of q is in search_text (0014's LIKE), or the words found carry >= 60 % of the query's trigrams
--    (a word weighs its distinct trigrams, a repeated word counts each time: 5 * found >= 3 * all, all > 0); then the
--    domain and unit filters as before;
--  * score: over the windows of tokens a..b of search_text (split on ' ') that start and end on a token sharing a
--    trigram with Q, the greatest c / (nq + u) in float8: c = distinct trigrams of Q in the window, u = the window's
--    token trigrams not in Q (counted per token); 0 when no token shares one;
--  * order: score DESC, then 0014's tie-breaks (folded name = q, folded name starts with q, shorter name, code).
-- q = '' lists every procedure passing the filters by code, as before. Cost: a search reads the procedures once (the
-- LIKEs on 2,628 rows are cheap), looks the query's trigrams up in each match's token trigrams (procedure_search_trgm)
-- and scores the windows between the tokens found, in one statement.
-- No catalog_version bump: the loaders (catalog_live.c) reload the rows on a version change, and the rows they read
-- are unchanged; the in-memory rule comes with the binary, which loads the catalog when it starts.

-- Every trigram of every token of each procedure's search_text (tokens split on ' ', numbered from 1; each token's
-- distinct trigrams, show_trgm's), with where the token's trigrams start and end in the count over all the tokens:
-- tokens a..b hold trgm_through(b) - trgm_before(a) trigrams. Kept by the triggers below; a side table rather than
-- columns of procedures, which procedure_view renders whole. No foreign key: checked on each of a procedure's ~130
-- rows, it made them slow to write (the seeded catalog's 346,502 rows took 8 s); a search only reads the rows of the
-- codes it matched, and a procedure's rows are replaced whole whenever it is written, so rows a TRUNCATE ... CASCADE
-- of procedures leaves behind are never read. The triggers add ~4 s to loading the whole seeded catalog (10 -> 14 s).
CREATE TABLE procedure_search_trgm (
    code          text NOT NULL,
    trgm          text NOT NULL,
    token         integer NOT NULL,
    trgm_before   integer NOT NULL,    -- the trigrams of tokens 1 .. token - 1
    trgm_through  integer NOT NULL,    -- the trigrams of tokens 1 .. token
    PRIMARY KEY (code, trgm, token)   -- a search looks up the query's trigrams in each match's rows
);

CREATE FUNCTION procedure_search_trgm_rows(p_code text, p_search_text text)
    RETURNS TABLE (code text, trgm text, token integer, trgm_before integer, trgm_through integer)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_code, t, tk.token, tk.through - tk.n, tk.through
      FROM (SELECT x.token::integer, x.trgm, cardinality(x.trgm) AS n,
                   (sum(cardinality(x.trgm)) OVER (ORDER BY x.token))::integer AS through
              FROM (SELECT j AS token, public.show_trgm(w) AS trgm
                      FROM unnest(regexp_split_to_array(p_search_text, ' ')) WITH ORDINALITY AS y(w, j)) AS x) AS tk,
           unnest(tk.trgm) AS t
$$;

CREATE FUNCTION procedure_search_trgm_keep() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM procedure_search_trgm WHERE code = OLD.code;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM procedure_search_trgm WHERE code = NEW.code;
        INSERT INTO procedure_search_trgm SELECT * FROM procedure_search_trgm_rows(NEW.code, NEW.search_text);
    END IF;
    RETURN NULL;
END $$;

-- AFTER: NEW.search_text is computed. An update that leaves search_text alone (the applicants, a fee) costs nothing.
CREATE TRIGGER procedures_search_trgm_write AFTER INSERT OR DELETE ON procedures
    FOR EACH ROW EXECUTE FUNCTION procedure_search_trgm_keep();
CREATE TRIGGER procedures_search_trgm_update AFTER UPDATE ON procedures
    FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) EXECUTE FUNCTION procedure_search_trgm_keep();

INSERT INTO procedure_search_trgm SELECT r.* FROM procedures p, procedure_search_trgm_rows(p.code, p.search_text) r;
ANALYZE procedure_search_trgm;

-- jit off: the planner's estimates for the windows (a self-join) pass jit_above_cost, and compiling took ~100 ms, more
-- than the search itself; work_mem: the windows' sort (up to ~100,000 rows) stays in memory.
CREATE OR REPLACE FUNCTION catalog_search(p_q text, p_domain text, p_unit text, p_page integer, p_page_size integer)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET jit = off SET work_mem = '16MB' AS $$
DECLARE
    q       text := btrim(regexp_replace(coalesce(cong_fold(p_q), ''), '\s+', ' ', 'g'));
    every_word text := 'false';   -- SQL: every word of q is in search_text (LIKE, literals quoted by format %L)
    found_weight text := '0';     -- SQL: the weights of the words of q found in search_text (the same LIKEs)
    all_weight integer := 0;      -- the weights of all the words of q (a word's weight: its distinct trigrams)
    q_trgm  text[] := public.show_trgm(q);   -- Q
    nq      integer := cardinality(q_trgm);
    size    integer := least(greatest(coalesce(p_page_size, 20), 1), 100);
    page    integer := greatest(coalesce(p_page, 1), 1);
    result  jsonb;
BEGIN
    IF q <> '' THEN
        -- the words are literal inside the patterns (%, _ and \ escaped); a repeated word counts each time
        SELECT string_agg(format('p.search_text LIKE %L', pattern), ' AND '),
               string_agg(format('CASE WHEN p.search_text LIKE %L THEN %s ELSE 0 END', pattern, weight), ' + '),
               sum(weight)
          INTO every_word, found_weight, all_weight
          FROM (SELECT '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%' AS pattern,
                       cardinality(public.show_trgm(w)) AS weight
                  FROM regexp_split_to_table(q, ' ') AS w) AS words;
    END IF;

    -- hits: the matches, hid numbering them (an integer: sorting the windows by code would compare text by collation);
    -- found: the tokens holding a trigram of Q, F_j as a mask of nq bits and |F_j|;
    -- windows: a..b, both found tokens, F_a | .. | F_b and the sum of |F| as b grows from a;
    -- u(a..b) = trigrams of tokens a..b - sum |F| = through(b) - before(a) - sum |F|.
    -- (OFFSET 0 keeps the lookup one index scan a match: flattened, the planner chose to read the whole table.)
    EXECUTE format($sql$
    WITH hits AS (
        SELECT row_number() OVER () AS hid, p.code, p.name_vi, p.name_en, p.domain, p.level, p.fee_vnd,
               p.processing_days, p.min_loa, p.online_level, p.applicants, p.name_folded AS folded
          FROM procedures p
         WHERE ($1 = ''
                OR (%1$s)
                OR (%2$s > 0 AND 5 * (%3$s) >= 3 * %2$s))
           AND ($2 IS NULL OR p.domain = $2)
           AND ($3 IS NULL OR EXISTS (SELECT 1 FROM procedure_units pu
                                           WHERE pu.procedure_code = p.code AND pu.unit_code = $3))
    ), query_trgm AS (
        SELECT t, set_bit(repeat('0', %4$s)::varbit, (i - 1)::integer, 1) AS bit
          FROM unnest($6) WITH ORDINALITY AS x(t, i)
         WHERE $1 <> ''
    ), found AS (
        SELECT h.hid, s.token, bit_or(qt.bit) AS f, count(*)::integer AS nf,
               min(s.trgm_before) AS trgm_before, min(s.trgm_through) AS trgm_through
          FROM hits h CROSS JOIN LATERAL (SELECT * FROM procedure_search_trgm s
                                           WHERE s.code = h.code AND s.trgm = ANY ($6) OFFSET 0) AS s
               JOIN query_trgm qt ON qt.t = s.trgm
         WHERE $1 <> ''
         GROUP BY h.hid, s.token
    ), windows AS (
        SELECT a.hid, a.trgm_before, b.trgm_through, bit_or(b.f) OVER w AS f, sum(b.nf) OVER w AS nf
          FROM found a JOIN found b ON b.hid = a.hid AND b.token >= a.token
        WINDOW w AS (PARTITION BY a.hid, a.token ORDER BY b.token)
    ), scores AS (
        SELECT w.hid, max(bit_count(w.f)::float8 / (%4$s + (w.trgm_through - w.trgm_before - w.nf))::float8) AS score
          FROM windows w GROUP BY w.hid
    ), ranked AS (
        SELECT h.*, count(*) OVER () AS total,
               row_number() OVER (ORDER BY coalesce(s.score, 0) DESC, ($1 <> '' AND h.folded = $1) DESC,
                                           ($1 <> '' AND starts_with(h.folded, $1)) DESC,
                                           CASE WHEN $1 <> '' THEN length(h.name_vi) END, h.code) AS rn
          FROM hits h LEFT JOIN scores s ON s.hid = h.hid
    )
    SELECT jsonb_build_object(
               'total', coalesce(max(r.total), 0),
               'page', $4,
               'page_size', $5,
               'items', coalesce(jsonb_agg(jsonb_build_object(
                            'code', r.code, 'name_vi', r.name_vi, 'name_en', r.name_en, 'domain', r.domain,
                            'level', r.level, 'fee_vnd', r.fee_vnd, 'processing_days', r.processing_days,
                            'min_loa', r.min_loa, 'online_level', r.online_level, 'applicants', r.applicants)
                            ORDER BY r.rn)
                        FILTER (WHERE r.rn > ($4 - 1) * $5 AND r.rn <= $4 * $5), '[]'::jsonb))
      FROM ranked r
    $sql$, every_word, all_weight, found_weight, nq) INTO result USING q, p_domain, p_unit, page, size, q_trgm;
    RETURN result;
END $$;
