-- procedures 0014: who may apply for a procedure (issue 18, organizations). 'citizen': a person, on their own affairs
-- or for someone under a mandate; 'organization': an organization (subject "org:<id>": its API clients, its staff
-- acting for it); 'both'. Every procedure known before is a citizen's, as it was: scripts/gen-catalog.py marks the
-- business procedures (enterprise registration, business licences, permits for companies), and seed.sh runs it again
-- on a catalog that has none marked yet. The check itself is dossiers.c's (applicant.c), beside the level of
-- assurance, against the catalog in memory (catalog_live.c loads the column).
ALTER TABLE procedures ADD COLUMN applicants text NOT NULL DEFAULT 'citizen'
    CHECK (applicants IN ('citizen', 'organization', 'both'));
UPDATE catalog_version SET version = version + 1; -- a new column is a new catalog for the loaders (0013)

-- catalog_search as in 0004, each item with its applicants (the catalog in memory renders the same item: catalog_live.c)
CREATE OR REPLACE FUNCTION catalog_search(p_q text, p_domain text, p_unit text, p_page integer, p_page_size integer)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    q       text := btrim(regexp_replace(coalesce(cong_fold(p_q), ''), '\s+', ' ', 'g'));
    every_word text := 'false';   -- SQL: every word of q is in search_text (LIKE, literals quoted by format %L)
    size    integer := least(greatest(coalesce(p_page_size, 20), 1), 100);
    page    integer := greatest(coalesce(p_page, 1), 1);
    result  jsonb;
BEGIN
    IF q <> '' THEN
        -- the words are literal inside the patterns (%, _ and \ escaped)
        SELECT string_agg(format('p.search_text LIKE %L',
                                 '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%'), ' AND ')
          INTO every_word FROM regexp_split_to_table(q, ' ') AS w;
    END IF;

    EXECUTE format($sql$
    WITH hits AS (
        SELECT p.code, p.name_vi, p.name_en, p.domain, p.level, p.fee_vnd, p.processing_days, p.min_loa,
               p.online_level, p.applicants, p.name_folded AS folded,
               CASE WHEN $1 = '' THEN 0 ELSE word_similarity($1, p.search_text) END AS sim
          FROM procedures p
         WHERE ($1 = ''
                OR $1 <%% p.search_text
                OR (%s))
           AND ($2 IS NULL OR p.domain = $2)
           AND ($3 IS NULL OR EXISTS (SELECT 1 FROM procedure_units pu
                                           WHERE pu.procedure_code = p.code AND pu.unit_code = $3))
    ), ranked AS (
        SELECT h.*, count(*) OVER () AS total,
               row_number() OVER (ORDER BY h.sim DESC, ($1 <> '' AND h.folded = $1) DESC,
                                           ($1 <> '' AND starts_with(h.folded, $1)) DESC,
                                           CASE WHEN $1 <> '' THEN length(h.name_vi) END, h.code) AS rn
          FROM hits h
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
    $sql$, every_word) INTO result USING q, p_domain, p_unit, page, size;
    RETURN result;
END $$;
