-- bench/catalog_search_trgm.sql — the catalog search as it was before procedures migration 0016 (pg_trgm's
-- word_similarity and `<%`, migration 0014's text), created as catalog_search_trgm in the bench's own database only:
-- bench/search_relevance.py asks it and the gateway's search the same queries and compares how well each finds the
-- procedure a query was made from (issue 17: "ranking as today or better"). Never a migration.
CREATE OR REPLACE FUNCTION catalog_search_trgm(p_q text, p_domain text, p_unit text, p_page integer, p_page_size integer)
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
