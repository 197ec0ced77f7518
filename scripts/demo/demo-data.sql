-- scripts/demo/demo-data.sql — the demo data set of `make run`: 12 ISO weeks of dossiers up to the moment it is
-- loaded, in every unit that handles procedures, so that the KPI dashboard, the late list, the demo official's desk
-- and the demo citizen's dossiers show something. Development only: scripts/demo-data.sh runs it when
-- server.environment is development; make test never loads it.
--
-- psql variables: citizen and citizen_name (the demo citizen's subject and name), official (the demo official's
-- subject), desk (the demo official's units, a text[] literal such as '{HN-W-001,HN-W-002}').
--
-- Loaded once: the row 'make-run' of demo_data marks it, under a table lock, in the transaction that loads it; a
-- second run changes nothing. Deterministic in shape: every random choice is a hash of its key (unit, day, index),
-- so two loads on the same day give the same data; the window moves with the day of the load.
--
-- What it writes, as the procedures module would have: dossiers, their timeline (dossier_events; the weekly KPI
-- rollup follows through its trigger), citizens' ratings of a third of the finished ones (the feedback module's), and
-- for the demo official's units the portal outbox of every version, not yet delivered, so cong-portal-sync hands them
-- to the stand-in portal and the official's next action on a demo dossier is in order there; and, at the end, the
-- appointment schedules of a few units (the appointments module's; also into a state loaded before them). Not
-- written: push notifications of the past, outbox rows of other units (their history is taken as delivered: an
-- action on them would reach the stand-in portal out of order), and result files: a dossier of the past with a
-- result carries none (no signature can be made in SQL). The demo citizen's wallet results are issued after start
-- through the desk API by scripts/demo-results.sh; the dossiers they are for are listed in demo_data.wallet_codes.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;

CREATE TABLE IF NOT EXISTS demo_data (
    name          text PRIMARY KEY,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    window_start  date NOT NULL,          -- Monday of the first week
    dossiers      integer NOT NULL,
    wallet_codes  text[] NOT NULL         -- the demo citizen's dossiers whose results go to the wallet
);
LOCK TABLE demo_data IN EXCLUSIVE MODE;
SELECT NOT EXISTS (SELECT 1 FROM demo_data WHERE name = 'make-run') AS demo_missing \gset

\if :demo_missing

-- A number in [0, 1) from a key: the demo's only source of randomness.
CREATE FUNCTION pg_temp.demo_r(k text) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    RETURN ('x' || left(md5(k), 12))::bit(48)::bigint / 281474976710656.0;

-- One of the items of a list, by key.
CREATE FUNCTION pg_temp.demo_pick(items text[], k text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN items[1 + floor(pg_temp.demo_r(k) * cardinality(items))::int];

-- A pseudonymous subject shaped like cong's (43 characters of base64url).
CREATE FUNCTION pg_temp.demo_subject(k text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN translate(rtrim(encode(sha256(convert_to('cong-demo:' || k, 'UTF8')), 'base64'), '='), '+/', '-_');

-- The window: 12 ISO weeks, the current one last (Asia/Ho_Chi_Minh). Dossiers are filed from 4 weeks before it, so
-- that its first weeks have their full share of completions.
SELECT cong_local_date(now()) - (extract(isodow FROM cong_local_date(now()))::int - 1) - 77 AS window_start \gset

-- Working days by number, to count due dates for tens of thousands of dossiers at once: the same rule as
-- cong_add_working_days (the n-th working day after the local day of filing), by lookup.
CREATE TEMP TABLE demo_days ON COMMIT DROP AS
SELECT day, working, count(*) FILTER (WHERE working) OVER (ORDER BY day) AS worked  -- up to and including this day
  FROM (SELECT d::date AS day,
               extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = d::date) AS working
          FROM generate_series(:'window_start'::date - 28, cong_local_date(now()) + 120, interval '1 day') d) c;
CREATE UNIQUE INDEX ON demo_days (day);
CREATE INDEX ON demo_days (worked) WHERE working;
ANALYZE demo_days;

CREATE FUNCTION pg_temp.demo_add_working_days(t timestamptz, n integer) RETURNS date
    LANGUAGE sql STABLE
    RETURN (SELECT w.day FROM demo_days w
             WHERE w.working AND w.worked = (SELECT c.worked FROM demo_days c WHERE c.day = cong_local_date(t)) + n);

-- Each unit's volume (dossiers a working day) and its share of late completions in an ordinary week. About one unit
-- in ten struggles (50-75 % on time), two in ten are middling (82-92 %), the rest do well (93-99 %). The demo
-- official's second ward struggles, so it is on the late list.
CREATE TEMP TABLE demo_units ON COMMIT DROP AS
SELECT u.code, u.name, u.kind,
       CASE WHEN u.kind = 'department' THEN 3 + 6 * r.volume ELSE 1 + 3 * r.volume END AS per_day,
       CASE WHEN u.code = (:'desk'::text[])[2] THEN 0.35
            WHEN r.quality < 0.10 THEN 0.25 + 0.25 * r.spread
            WHEN r.quality < 0.30 THEN 0.08 + 0.10 * r.spread
            ELSE 0.01 + 0.06 * r.spread END AS late_share,
       (SELECT array_agg(pu.procedure_code ORDER BY pu.procedure_code) FROM procedure_units pu
         WHERE pu.unit_code = u.code) AS procedures
  FROM units u
 CROSS JOIN LATERAL (SELECT pg_temp.demo_r(u.code || ':volume') AS volume,
                            pg_temp.demo_r(u.code || ':quality') AS quality,
                            pg_temp.demo_r(u.code || ':spread') AS spread) r
 WHERE EXISTS (SELECT 1 FROM procedure_units pu WHERE pu.unit_code = u.code);

-- Submissions: per unit and day, per_day on working days, a sixth of it on weekends and holidays (online filing);
-- the week's index wk (0 = the window's first, the weeks before count as 0) sets how late the city is: lateness
-- falls a little every week, but one week (wk 5) was bad.
CREATE TEMP TABLE demo_draw ON COMMIT DROP AS
SELECT u.code AS unit_code, u.name AS unit_name, x.day, x.wk, n.i,
       u.code || ':' || x.day || ':' || n.i AS k,
       u.procedures[1 + floor(cardinality(u.procedures) * pg_temp.demo_r(u.code || x.day || n.i || 'p') ^ 2.5)::int]
           AS procedure_code,
       cong_local_midnight(x.day) + CASE WHEN x.working
           THEN interval '7 hours 30 minutes'
                + pg_temp.demo_r(u.code || x.day || n.i || 't') * interval '10 hours 30 minutes'
           ELSE interval '8 hours' + pg_temp.demo_r(u.code || x.day || n.i || 't') * interval '14 hours' END AS s,
       least(0.85, u.late_share * (1.35 - 0.06 * x.wk + CASE WHEN x.wk = 5 THEN 1.5 ELSE 0 END)) AS late_prob
  FROM demo_units u
 CROSS JOIN LATERAL (
        SELECT d::date AS day, greatest(0, (d::date - :'window_start'::date) / 7) AS wk,
               extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM holidays h WHERE h.day = d::date) AS working
          FROM generate_series(:'window_start'::date - 28, cong_local_date(now()), interval '1 day') d) x
 CROSS JOIN LATERAL generate_series(1, floor(u.per_day * CASE WHEN x.working THEN 1 ELSE 1.0 / 6 END
                                             + pg_temp.demo_r(u.code || x.day || 'n'))::int) n(i);
DELETE FROM demo_draw WHERE s >= now();

-- The plan of each dossier: when it was filed, when the unit issues its result (on time: a working day up to the
-- due date; late: 1 to 6 working days after it), when the citizen collects it. Events are spread between filing and
-- the result; what lies in the future is not written (the dossier is still open).
CREATE TEMP TABLE demo_plan (
    k text, unit_code text, unit_name text, procedure_code text, subject text, s timestamptz, due date,
    c_at timestamptz, done_at timestamptz, withdraw_at timestamptz, rejected boolean, supplement boolean,
    stop_ord integer, wallet boolean DEFAULT false, id bigint, code text
) ON COMMIT DROP;

INSERT INTO demo_plan (k, unit_code, unit_name, procedure_code, subject, s, due, c_at, done_at, withdraw_at, rejected,
                       supplement)
SELECT d.k, d.unit_code, d.unit_name, d.procedure_code,
       pg_temp.demo_subject('applicant:' || floor(pg_temp.demo_r(d.k || 'who') * 15000)::int), d.s, due.day,
       x.result_at, x.result_at + interval '6 hours' + pg_temp.demo_r(d.k || 'pick') * interval '4 days',
       CASE WHEN pg_temp.demo_r(d.k || 'w') < 0.03
            THEN d.s + interval '30 minutes' + pg_temp.demo_r(d.k || 'wt') * interval '20 hours' END,
       pg_temp.demo_r(d.k || 'rej') < 0.06,
       pg_temp.demo_r(d.k || 'sup') < 0.12
  FROM demo_draw d
  JOIN procedures p ON p.code = d.procedure_code
  JOIN demo_days filed ON filed.day = cong_local_date(d.s)
 CROSS JOIN LATERAL (
        SELECT CASE WHEN pg_temp.demo_r(d.k || 'late') < d.late_prob
                    THEN p.processing_days + 1 + floor(6 * pg_temp.demo_r(d.k || 'by') ^ 2)::int
                    ELSE greatest(1, ceil(p.processing_days * (0.35 + 0.65 * pg_temp.demo_r(d.k || 'by')))::int)
               END AS result_days) n
  JOIN demo_days due ON due.working AND due.worked = filed.worked + p.processing_days
  JOIN demo_days res ON res.working AND res.worked = filed.worked + n.result_days
 CROSS JOIN LATERAL (SELECT cong_local_midnight(res.day) + interval '8 hours'
                            + pg_temp.demo_r(d.k || 'ct') * interval '9 hours' AS result_at) x;

-- Made by hand, so that the demo official's desk has a dossier in every open status and the demo citizen has
-- dossiers of their own: stop_ord is the last event written (see the timeline below), the rest of the plan is
-- scaled to end now. The citizen's three decided dossiers (wallet) get their results after start.
INSERT INTO demo_plan (k, unit_code, unit_name, procedure_code, subject, s, due, c_at, rejected, supplement, stop_ord,
                       wallet)
SELECT 'hand:' || h.n, u.code, u.name, h.procedure,
       CASE WHEN h.mine THEN :'citizen' ELSE pg_temp.demo_subject('hand:' || h.n) END,
       now() - h.ago, pg_temp.demo_add_working_days(now() - h.ago, p.processing_days), now() - interval '5 minutes',
       h.rejected, h.supplement, h.stop_ord, h.wallet
  FROM (VALUES
        -- the demo citizen's, in the official's first ward
        (1, 1, true,  '2.000024', interval '26 hours',  7, false, false, true),   -- Đăng ký kết hôn: approved
        (2, 1, true,  '2.000144', interval '50 hours',  7, false, true,  true),   -- xác nhận tình trạng hôn nhân
        (3, 1, true,  '2.000264', interval '30 hours',  7, true,  false, true),   -- chứng thực hợp đồng: rejected
        (4, 1, true,  '2.001074', interval '4 days',    3, false, false, false),  -- giấy phép xây dựng: processing
        (5, 1, true,  '2.001444', interval '2 days',    4, false, true,  false),  -- hộ kinh doanh: supplement asked
        (6, 1, true,  '1.001193', interval '50 minutes', 1, false, false, false), -- khai sinh: just filed
        -- other citizens', one per open status, and an overdue one, in both wards
        (7, 1, false, '2.000228', interval '3 hours',   1, false, false, false),
        (8, 2, false, '2.000048', interval '20 hours',  2, false, false, false),
        (9, 2, false, '2.000096', interval '3 days',    3, false, false, false),
        (10, 2, false, '2.000120', interval '3 days',   4, false, true,  false),
        (11, 1, false, '2.000300', interval '2 days',   5, false, true,  false),
        (12, 2, false, '2.000072', interval '2 days',   7, false, false, false),
        (13, 2, false, '2.000246', interval '26 hours', 7, true,  false, false),
        (14, 2, false, '2.000024', interval '12 days',  3, false, false, false)   -- overdue
       ) AS h(n, desk_index, mine, procedure, ago, stop_ord, rejected, supplement, wallet)
 CROSS JOIN LATERAL (SELECT (:'desk'::text[])[h.desk_index] AS unit) du
 JOIN units u ON u.code = du.unit
 JOIN procedures p ON p.code = h.procedure;

-- Ids and codes in filing order, from the module's own sequences (no clash with dossiers filed later).
UPDATE demo_plan p SET id = n.id, code = n.code
  FROM (SELECT o.k, nextval(pg_get_serial_sequence('dossiers', 'id')) AS id,
               'HN-' || extract(year FROM o.s AT TIME ZONE 'Asia/Ho_Chi_Minh')::int || '-'
                   || lpad(nextval('dossier_number_seq')::text, 7, '0') AS code
          FROM (SELECT k, s FROM demo_plan ORDER BY s, k) o) n
 WHERE n.k = p.k;

-- The timeline: each planned event at its share of the way from filing (0) to the result (1), up to now, and up to
-- stop_ord when set. Officials' events are the demo official's in their units, a unit pseudonym elsewhere.
CREATE TEMP TABLE demo_events ON COMMIT DROP AS
SELECT p.id, row_number() OVER (PARTITION BY p.id ORDER BY e.ord)::int AS version, e.ord, e.at,
       CASE WHEN e.role = 'citizen' THEN p.subject
            WHEN p.unit_code = ANY (:'desk'::text[]) THEN :'official'
            ELSE pg_temp.demo_subject('official:' || p.unit_code) END AS actor,
       e.role, e.action, e.from_status, e.to_status, e.note
  FROM demo_plan p
 CROSS JOIN LATERAL (VALUES
        (1, 'submit', NULL, 'submitted', 'citizen', p.s, NULL, true),
        (2, 'withdraw', 'submitted', 'withdrawn', 'citizen', p.withdraw_at, NULL, p.withdraw_at IS NOT NULL),
        (2, 'receive', 'submitted', 'received', 'official', p.s + (p.c_at - p.s) * 0.06, NULL, p.withdraw_at IS NULL),
        (3, 'process', 'received', 'processing', 'official', p.s + (p.c_at - p.s) * 0.15, NULL, p.withdraw_at IS NULL),
        (4, 'request_supplement', 'processing', 'supplement_requested', 'official', p.s + (p.c_at - p.s) * 0.30,
            'Đề nghị bổ sung bản sao giấy tờ tùy thân có chứng thực.', p.withdraw_at IS NULL AND p.supplement),
        (5, 'supplement', 'supplement_requested', 'supplement_submitted', 'citizen', p.s + (p.c_at - p.s) * 0.45,
            NULL, p.withdraw_at IS NULL AND p.supplement),
        (6, 'process', 'supplement_submitted', 'processing', 'official', p.s + (p.c_at - p.s) * 0.50, NULL,
            p.withdraw_at IS NULL AND p.supplement),
        (7, CASE WHEN p.rejected THEN 'reject' ELSE 'approve' END, 'processing',
            CASE WHEN p.rejected THEN 'rejected' ELSE 'approved' END, 'official', p.s + (p.c_at - p.s) * 0.85,
            CASE WHEN p.rejected THEN 'Hồ sơ chưa đủ điều kiện theo quy định.' END, p.withdraw_at IS NULL),
        (8, 'issue_result', CASE WHEN p.rejected THEN 'rejected' ELSE 'approved' END, 'result_issued', 'official',
            p.c_at, NULL, p.withdraw_at IS NULL),
        (9, 'complete', 'result_issued', 'completed', 'official', p.done_at, NULL, p.withdraw_at IS NULL)
       ) AS e(ord, action, from_status, to_status, role, at, note, applies)
 WHERE e.applies AND e.at <= now() AND (p.stop_ord IS NULL OR e.ord <= p.stop_ord);

-- A form that satisfies each procedure's declared fields, with plausible values.
CREATE TEMP TABLE demo_forms ON COMMIT DROP AS
SELECT p.id, coalesce(jsonb_object_agg(f ->> 'name', CASE
        WHEN f ->> 'type' = 'integer' THEN to_jsonb(1 + floor(pg_temp.demo_r(p.k || (f ->> 'name')) * 3)::int)
        WHEN f ->> 'type' = 'boolean' THEN to_jsonb(pg_temp.demo_r(p.k || (f ->> 'name')) < 0.7)
        WHEN f ->> 'type' = 'date' THEN to_jsonb(to_char(cong_local_date(p.s)
                                                         - floor(pg_temp.demo_r(p.k || (f ->> 'name')) * 60)::int
                                                         + CASE WHEN f ->> 'name' LIKE '%du_kien' THEN 90 ELSE 0 END,
                                                         'YYYY-MM-DD'))
        WHEN f ->> 'type' = 'enum' THEN (f -> 'enum') -> floor(pg_temp.demo_r(p.k || (f ->> 'name'))
                                                              * jsonb_array_length(f -> 'enum'))::int
        ELSE to_jsonb(CASE f ->> 'name'
            WHEN 'ho_ten' THEN
                pg_temp.demo_pick('{Nguyễn,Trần,Lê,Phạm,Hoàng,Phan,Vũ,Đặng,Bùi,Đỗ,Hồ,Ngô,Dương,Lý}', p.k || 'f') || ' '
                || pg_temp.demo_pick('{Văn,Thị,Minh,Thu,Đức,Ngọc,Quang,Thanh,Hữu,Hoài}', p.k || 'm') || ' '
                || pg_temp.demo_pick('{An,Bình,Chi,Dũng,Giang,Hà,Hải,Hạnh,Hiếu,Hoa,Hùng,Hương,Khánh,Lan,Linh,Long,'
                                     'Mai,Nam,Nga,Phong,Phương,Quân,Tâm,Thảo,Trang,Tuấn,Việt,Yến}', p.k || 'g')
            WHEN 'so_dien_thoai' THEN '09' || lpad(floor(pg_temp.demo_r(p.k || 'tel') * 1e8)::bigint::text, 8, '0')
            WHEN 'dia_chi' THEN 'Số ' || (1 + floor(pg_temp.demo_r(p.k || 'no') * 200)::int) || ' phố '
                || pg_temp.demo_pick('{Tràng Tiền,Hàng Bài,Lý Thường Kiệt,Bà Triệu,Kim Mã,Giảng Võ,Láng Hạ,'
                                     'Nguyễn Trãi,Trần Duy Hưng,Xuân Thủy,Lạc Long Quân,Nguyễn Văn Cừ,Minh Khai,'
                                     'Giải Phóng}', p.k || 'st')
                || ', ' || p.unit_name
            WHEN 'quoc_tich' THEN 'VN'
            WHEN 'ma_so_thue' THEN '01' || lpad(floor(pg_temp.demo_r(p.k || 'tax') * 1e8)::bigint::text, 8, '0')
            WHEN 'ten_doanh_nghiep' THEN 'Công ty TNHH '
                || pg_temp.demo_pick('{Thăng Long,Hồng Hà,Sông Đà,Tây Hồ,Long Biên,Ba Vì,Đông Anh}', p.k || 'co')
            WHEN 'dien_tich_m2' THEN to_char(30 + pg_temp.demo_r(p.k || 'm2') * 250, 'FM9990.0')
            WHEN 'noi_sinh' THEN 'Bệnh viện Phụ sản Hà Nội'
            ELSE 'Không'
        END) END) FILTER (WHERE f IS NOT NULL), '{}'::jsonb) AS form
  FROM demo_plan p
  JOIN procedures pr ON pr.code = p.procedure_code
  LEFT JOIN LATERAL jsonb_array_elements(pr.form_fields) f ON true
 GROUP BY p.id;

-- The dossiers as their last event left them.
WITH t AS (
    SELECT e.id, max(e.version) AS version, (array_agg(e.to_status ORDER BY e.version DESC))[1] AS status,
           max(e.at) AS updated_at,
           max(e.at) FILTER (WHERE e.action = 'receive') AS received_at,
           max(e.at) FILTER (WHERE e.action IN ('approve', 'reject')) AS decided_at,
           max(e.at) FILTER (WHERE e.action = 'issue_result') AS completed_at
      FROM demo_events e GROUP BY e.id
)
INSERT INTO dossiers (id, code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                      submitted_at, due_date, received_at, decided_at, completed_at, updated_at)
SELECT p.id, p.code, p.procedure_code, p.unit_code, p.subject, p.subject, t.status, t.version,
       CASE WHEN p.subject = :'citizen' THEN f.form || jsonb_build_object('ho_ten', :'citizen_name') ELSE f.form END,
       pr.fee_vnd,
       p.s, p.due, t.received_at, t.decided_at, t.completed_at, t.updated_at
  FROM demo_plan p
  JOIN t ON t.id = p.id
  JOIN demo_forms f ON f.id = p.id
  JOIN procedures pr ON pr.code = p.procedure_code
 ORDER BY p.id;

INSERT INTO dossier_events (dossier_id, version, at, actor, actor_role, action, from_status, to_status, note)
SELECT id, version, at, actor, role, action, from_status, to_status, note FROM demo_events ORDER BY id, version;

-- Ratings (modules/feedback), as citizens would have given them: about a third of the finished dossiers, a few hours
-- to two days after the result (never after now), 3 to 5 stars when the unit was on time, 1 to 3 when late; the weekly
-- satisfaction index follows through the table's trigger. The demo citizen's dossiers stay unrated: theirs to rate.
INSERT INTO feedback (unit_code, dossier_code, subject, given_by, stars, tags, week_start, created_at)
SELECT d.unit_code, d.code, d.subject, d.subject, r.stars,
       ARRAY[pg_temp.demo_pick(ARRAY['waiting_time', 'staff_attitude', 'clarity', 'online_experience', 'documents',
                                     'fees', 'other'], 'fb-tag:' || d.code)],
       feedback_week_of(r.at), r.at
  FROM dossiers d
 CROSS JOIN LATERAL (
        SELECT d.completed_at + make_interval(hours => 2 + floor(46 * pg_temp.demo_r('fb-at:' || d.code))::int) AS at,
               CASE WHEN cong_local_date(d.completed_at) > d.due_date THEN 1 ELSE 3 END
                   + floor(3 * pg_temp.demo_r('fb-stars:' || d.code))::int AS stars) r
 WHERE d.id IN (SELECT id FROM demo_plan) AND d.completed_at IS NOT NULL AND d.subject <> :'citizen'
   AND pg_temp.demo_r('fb:' || d.code) < 0.33 AND r.at < now()
 ORDER BY d.id;

-- Every version of the demo official's units, for cong-portal-sync to deliver (same payload as
-- dossier_record_version writes).
INSERT INTO portal_outbox (dossier_id, dossier_code, version, payload, created_at, next_attempt_at)
SELECT d.id, d.code, e.version, jsonb_build_object(
           'dossier_code', d.code, 'version', e.version, 'status', e.to_status,
           'procedure_code', d.procedure_code, 'unit_code', d.unit_code,
           'submitted_at', cong_local_iso(d.submitted_at), 'due_date', to_char(d.due_date, 'YYYY-MM-DD'),
           'at', cong_local_iso(e.at), 'action', e.action),
       e.at, now()
  FROM demo_events e JOIN dossiers d ON d.id = e.id
 WHERE d.unit_code = ANY (:'desk'::text[])
 ORDER BY d.id, e.version;

INSERT INTO demo_data (name, window_start, dossiers, wallet_codes)
SELECT 'make-run', :'window_start', count(*), coalesce(array_agg(code ORDER BY code) FILTER (WHERE wallet), '{}')
  FROM demo_plan;

SELECT format('demo: %s dossiers loaded, weeks %s to %s', dossiers, to_char(window_start, 'IYYY-"W"IW'),
              to_char(now() AT TIME ZONE 'Asia/Ho_Chi_Minh', 'IYYY-"W"IW')) AS demo_report
  FROM demo_data WHERE name = 'make-run' \gset
\echo :demo_report
\else
SELECT format('demo: loaded already on %s (%s dossiers); nothing changed',
              to_char(loaded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD'), dossiers) AS demo_report
  FROM demo_data WHERE name = 'make-run' \gset
\echo :demo_report
\endif

-- Appointment schedules (modules/appointments), so that GET /v1/units/{code}/slots offers times: the demo official's
-- wards and the first two departments, every procedure domain each handles, Monday..Friday 07:30-11:30 and
-- 13:30-17:00, 30-minute slots (2 seats at a ward, 4 at a department). Outside the block above, so that a state
-- loaded before the appointments module gets them too; written only while none of these units has any schedule, so
-- a second run, or an official's own schedule, is left as it is.
WITH demo_schedule_units AS (
    SELECT code, kind FROM units WHERE code = ANY (:'desk'::text[])
    UNION
    (SELECT u.code, u.kind FROM units u
      WHERE u.kind = 'department' AND EXISTS (SELECT 1 FROM procedure_units pu WHERE pu.unit_code = u.code)
      ORDER BY u.code LIMIT 2)),
published AS (
    INSERT INTO appointment_schedules (unit_code, domain, weekdays, periods, slot_minutes, capacity, updated_by)
    SELECT DISTINCT u.code, p.domain, '{1,2,3,4,5}'::smallint[],
           '[{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}]'::jsonb, 30,
           CASE WHEN u.kind = 'department' THEN 4 ELSE 2 END,
           CASE WHEN u.code = ANY (:'desk'::text[]) THEN :'official' ELSE 'cong-demo' END
      FROM demo_schedule_units u
      JOIN procedure_units pu ON pu.unit_code = u.code
      JOIN procedures p ON p.code = pu.procedure_code
     WHERE NOT EXISTS (SELECT 1 FROM appointment_schedules s
                        WHERE s.unit_code IN (SELECT code FROM demo_schedule_units))
    ON CONFLICT (unit_code, domain) DO NOTHING
    RETURNING unit_code)
SELECT count(*) AS demo_schedules, count(DISTINCT unit_code) AS demo_schedule_units, count(*) > 0 AS demo_published
  FROM published \gset
\if :demo_published
\echo demo: :demo_schedules appointment schedules published in :demo_schedule_units units
\endif

COMMIT;
