-- appointments 0002: the desk's list of a unit's bookings of one day (desk.c, GET /v1/desk/units/{code}/appointments).
-- Who is an official of which unit: appointment_official_refusal (0001, the procedures module's user_roles).

CREATE INDEX appointments_unit_day ON appointments (unit_code, starts_at) WHERE status IN ('held', 'confirmed');

-- The held (hold not past its time) and confirmed appointments of p_unit starting on local day p_day, of one domain
-- or all (p_domain NULL), by slot start, the first p_limit ("truncated" true when there are more). Items are
-- appointment_json: the holder is never shown (the dossier code is, as the dossiers' desk shows it). Every item
-- shown is an official's view of a citizen's booking: one audit record each (appointment.list, subject the holder),
-- in this statement. Not an official: 403 not-official; not of this unit: 403 not-your-unit (as desk.c's PUT).
CREATE FUNCTION appointment_desk_list(p_official text, p_unit text, p_day date, p_domain text, p_limit integer,
                                      p_request_id text)
    RETURNS TABLE (http_status integer, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    refusal text := appointment_official_refusal(p_official, p_unit);
BEGIN
    IF refusal IS NOT NULL THEN
        RETURN QUERY SELECT 403, jsonb_build_object('problem', 'forbidden', 'reason', refusal);
        RETURN;
    END IF;
    RETURN QUERY
    WITH page AS (SELECT a FROM appointments a
                    WHERE a.unit_code = p_unit AND (p_domain IS NULL OR a.domain = p_domain)
                      AND a.starts_at >= cong_local_midnight(p_day) AND a.starts_at < cong_local_midnight(p_day + 1)
                      AND (a.status = 'confirmed' OR (a.status = 'held' AND a.hold_expires_at > now()))
                    ORDER BY a.starts_at, a.id LIMIT p_limit + 1),
    shown AS (SELECT p.a FROM page p ORDER BY (p.a).starts_at, (p.a).id LIMIT p_limit),
    audited AS (SELECT cong_audit('appointments', p_official, 'official', (s.a).subject, 'appointment.list',
                                  'appointment:' || (s.a).id, p_request_id,
                                  jsonb_build_object('unit', p_unit, 'day', to_char(p_day, 'YYYY-MM-DD')))
                  FROM shown s)
    SELECT 200, jsonb_build_object(
        'unit', p_unit, 'date', to_char(p_day, 'YYYY-MM-DD'), 'domain', p_domain,
        'items', coalesce((SELECT jsonb_agg(appointment_json(s.a) ORDER BY (s.a).starts_at, (s.a).id) FROM shown s),
                          '[]'::jsonb),
        'truncated', (SELECT count(*) FROM page) > p_limit)
      FROM (SELECT count(*) FROM audited) x;
END $$;
