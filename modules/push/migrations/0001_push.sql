-- push 0001: the devices that receive notifications, the texts of each topic, and each person's inbox (issue 14).
-- OWNERSHIP: these tables are the push module's; the delivery worker (push/, to come) reads push_devices and
-- push_inbox in the shape below (columns may be added, never renamed). push_outbox is the procedures module's
-- (0002_dossiers.sql): every module writes its events there in the transaction of its change; this migration only
-- adds a trigger to it.

-- One device per session: a session (principal->session_id, a token's "sid") registers one device, and registering
-- again updates it. A token registered by another session moves there (the old row goes: a phone changed hands or its
-- owner logged in again), so (platform, token) is unique and a phone never gets one event twice through two rows.
CREATE TABLE push_devices (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject     text NOT NULL,
    session_id  text NOT NULL UNIQUE,
    platform    text NOT NULL CHECK (platform IN ('fcm', 'apns')),
    token       text NOT NULL,
    locale      text NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, token)
);
CREATE INDEX push_devices_subject ON push_devices (subject);

-- The texts of a topic, with {{name}} placeholders filled from the event's payload (push_render).
CREATE TABLE push_templates (
    topic       text PRIMARY KEY,
    title_vi    text NOT NULL,
    body_vi     text NOT NULL,
    title_en    text NOT NULL,
    body_en     text NOT NULL
);

-- What a payload's code says in words: the value `value` of member `name` in an event of `topic` is shown as `vi` or
-- `en` (a dossier's status "supplement_requested" as "cần bổ sung"). A value without a label is shown as it is.
CREATE TABLE push_labels (
    topic       text NOT NULL,
    name        text NOT NULL,
    value       text NOT NULL,
    vi          text NOT NULL,
    en          text NOT NULL,
    PRIMARY KEY (topic, name, value)
);

-- A person's inbox: one row per (subject, event). event_key names the event ('push_outbox:' || its id), and the
-- UNIQUE makes each (event, person) land once whoever inserts it again (a replay, a later backfill). The texts are
-- rendered when the event is written, so a template changed later does not rewrite what a citizen was told.
CREATE TABLE push_inbox (
    id          bigserial PRIMARY KEY,
    subject     text NOT NULL,
    event_key   text NOT NULL,
    topic       text NOT NULL,
    data        jsonb NOT NULL,
    title_vi    text NOT NULL,
    body_vi     text NOT NULL,
    title_en    text NOT NULL,
    body_en     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    deleted_at  timestamptz,
    UNIQUE (subject, event_key)
);
-- The listing (newest first, by id: a cursor is the last id shown) and the unread count read only rows not deleted,
-- and the unread count only unread ones: partial indexes keep deleted (and, for the count, read) items — most of an
-- old inbox — out of both, so a page is one short index range scan and the count an index-only count of what is
-- unread.
CREATE INDEX push_inbox_listing ON push_inbox (subject, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX push_inbox_unread ON push_inbox (subject) WHERE deleted_at IS NULL AND read_at IS NULL;

-- p_text with each {{name}} replaced by p_data's member `name` as text, in words when push_labels has that value for
-- p_topic in language p_lang ('vi' or 'en'), else as it is (a missing member: ''). Values are inserted as they are
-- and never scanned again, so a value holding "{{x}}" stays as written.
CREATE FUNCTION push_render(p_text text, p_topic text, p_data jsonb, p_lang text) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    done text := '';
    rest text := p_text;
    open_at integer;
    close_at integer;
    v_name text;
    v_value text;
    v_words text;
BEGIN
    LOOP
        open_at := strpos(rest, '{{');
        EXIT WHEN open_at = 0;
        close_at := strpos(substr(rest, open_at + 2), '}}');
        EXIT WHEN close_at = 0;
        v_name := btrim(substr(rest, open_at + 2, close_at - 1));
        v_value := p_data ->> v_name;
        SELECT CASE p_lang WHEN 'en' THEN l.en ELSE l.vi END INTO v_words
          FROM push_labels l WHERE l.topic = p_topic AND l.name = v_name AND l.value = v_value;
        done := done || substr(rest, 1, open_at - 1) || coalesce(v_words, v_value, '');
        rest := substr(rest, open_at + close_at + 3);
    END LOOP;
    RETURN done || rest;
END $$;

-- The inbox row of a push_outbox event, in the event's own transaction: an event commits with its inbox row or not
-- at all. A topic without a template gets no inbox row (its event still goes to the stream).
CREATE FUNCTION push_inbox_from_outbox() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_inbox (subject, event_key, topic, data, title_vi, body_vi, title_en, body_en, created_at)
    SELECT NEW.subject, 'push_outbox:' || NEW.id, NEW.topic, NEW.payload,
           push_render(t.title_vi, NEW.topic, NEW.payload, 'vi'), push_render(t.body_vi, NEW.topic, NEW.payload, 'vi'),
           push_render(t.title_en, NEW.topic, NEW.payload, 'en'), push_render(t.body_en, NEW.topic, NEW.payload, 'en'),
           NEW.created_at
      FROM push_templates t WHERE t.topic = NEW.topic
    ON CONFLICT (subject, event_key) DO NOTHING;
    RETURN NULL;
END $$;

-- Modules are migrated in the host's built-in order, push after procedures, so push_outbox exists here. A database
-- migrated without the procedures module has no outbox and so no events: the trigger is made only when the table
-- is there (the pattern of procedures 0011's stub), and the migration still succeeds.
DO $do$
BEGIN
    IF to_regclass('push_outbox') IS NOT NULL THEN
        CREATE TRIGGER push_inbox_fill AFTER INSERT ON push_outbox
            FOR EACH ROW EXECUTE FUNCTION push_inbox_from_outbox();
    END IF;
END $do$;

-- Every topic the modules write today, with the payload members they carry:
--   dossier.status        procedures   code, status, version
--   payment.status        payments     id, dossier_code, state, amount_vnd
--   payment.refund        payments     payment_id, refund_id, dossier_code, amount_vnd, state
--   mandate.changed       mandates     id, status, change
--   queue.called          queue        ticket, unit, domain, day, number, counter
--   appointment.changed   appointments appointment, status, unit, domain, slot
--   appointment.reminder  appointments appointment, kind, unit, domain, slot
INSERT INTO push_templates (topic, title_vi, body_vi, title_en, body_en) VALUES
    ('dossier.status', 'Hồ sơ {{code}} có cập nhật', 'Hồ sơ {{code}} của bạn: {{status}}.',
     'Dossier {{code}} updated', 'Your dossier {{code}}: {{status}}.'),
    ('payment.status', 'Thanh toán hồ sơ {{dossier_code}}',
     'Khoản thanh toán {{amount_vnd}} đồng cho hồ sơ {{dossier_code}}: {{state}}.',
     'Payment for dossier {{dossier_code}}',
     'Your payment of {{amount_vnd}} VND for dossier {{dossier_code}}: {{state}}.'),
    ('payment.refund', 'Hoàn tiền hồ sơ {{dossier_code}}',
     'Khoản hoàn {{amount_vnd}} đồng cho hồ sơ {{dossier_code}}: {{state}}.',
     'Refund for dossier {{dossier_code}}',
     'The refund of {{amount_vnd}} VND for dossier {{dossier_code}}: {{state}}.'),
    ('mandate.changed', 'Ủy quyền có thay đổi',
     'Một ủy quyền liên quan đến bạn {{change}}. Trạng thái: {{status}}.',
     'Mandate changed', 'A mandate that concerns you {{change}}. Status: {{status}}.'),
    ('queue.called', 'Đến lượt bạn: số {{number}}',
     'Số {{number}} của bạn đã được gọi, mời đến quầy {{counter}}.',
     'Your turn: number {{number}}', 'Your number {{number}} has been called: please go to counter {{counter}}.'),
    ('appointment.changed', 'Lịch hẹn có thay đổi',
     'Lịch hẹn lúc {{slot}} tại {{unit}}: {{status}}.',
     'Appointment changed', 'Your appointment at {{slot}} at {{unit}}: {{status}}.'),
    ('appointment.reminder', 'Nhắc lịch hẹn {{kind}}',
     'Bạn có lịch hẹn lúc {{slot}} tại {{unit}}. Vui lòng đến đúng giờ.',
     'Appointment reminder {{kind}}', 'You have an appointment at {{slot}} at {{unit}}. Please arrive on time.');

-- The codes those payloads carry (the CHECKs of dossiers.status, payments.state, payment_refunds.state,
-- mandates.status, appointments.status; the mandates module's changes; the reminders' kinds).
INSERT INTO push_labels (topic, name, value, vi, en) VALUES
    ('dossier.status', 'status', 'submitted', 'đã nộp, chờ tiếp nhận', 'submitted, awaiting reception'),
    ('dossier.status', 'status', 'received', 'đã được tiếp nhận', 'received'),
    ('dossier.status', 'status', 'processing', 'đang được giải quyết', 'being processed'),
    ('dossier.status', 'status', 'supplement_requested', 'cần bổ sung giấy tờ', 'documents must be added'),
    ('dossier.status', 'status', 'supplement_submitted', 'đã nộp bổ sung', 'additional documents submitted'),
    ('dossier.status', 'status', 'approved', 'đã được duyệt', 'approved'),
    ('dossier.status', 'status', 'rejected', 'bị từ chối', 'rejected'),
    ('dossier.status', 'status', 'result_issued', 'đã có kết quả', 'the result is issued'),
    ('dossier.status', 'status', 'completed', 'đã hoàn thành', 'completed'),
    ('dossier.status', 'status', 'withdrawn', 'đã rút', 'withdrawn'),
    ('payment.status', 'state', 'created', 'đã tạo', 'created'),
    ('payment.status', 'state', 'started', 'đang thanh toán', 'in progress'),
    ('payment.status', 'state', 'success', 'thành công', 'successful'),
    ('payment.status', 'state', 'failed', 'không thành công', 'failed'),
    ('payment.status', 'state', 'cancelled', 'đã hủy', 'cancelled'),
    ('payment.status', 'state', 'expired', 'đã hết hạn', 'expired'),
    ('payment.status', 'state', 'error', 'đang được kiểm tra', 'being checked'),
    ('payment.refund', 'state', 'submitted', 'đang xử lý', 'in progress'),
    ('payment.refund', 'state', 'success', 'đã hoàn tiền', 'refunded'),
    ('payment.refund', 'state', 'failed', 'không thành công', 'failed'),
    ('payment.refund', 'state', 'error', 'đang được kiểm tra', 'being checked'),
    ('mandate.changed', 'change', 'create', 'vừa được tạo', 'was created'),
    ('mandate.changed', 'change', 'accept', 'đã được chấp nhận', 'was accepted'),
    ('mandate.changed', 'change', 'decline', 'đã bị từ chối', 'was declined'),
    ('mandate.changed', 'change', 'withdraw', 'đã bị thu hồi', 'was withdrawn'),
    ('mandate.changed', 'change', 'expire', 'đã hết hạn', 'has expired'),
    ('mandate.changed', 'status', 'requested', 'chờ người được ủy quyền chấp nhận',
     'awaiting the grantee''s acceptance'),
    ('mandate.changed', 'status', 'active', 'đang có hiệu lực', 'in force'),
    ('mandate.changed', 'status', 'withdrawn', 'đã thu hồi', 'withdrawn'),
    ('mandate.changed', 'status', 'declined', 'đã từ chối', 'declined'),
    ('mandate.changed', 'status', 'expired', 'hết hạn', 'expired'),
    ('mandate.changed', 'status', 'used_up', 'đã dùng hết số lần', 'used up'),
    ('appointment.changed', 'status', 'held', 'đang giữ chỗ, chờ xác nhận', 'held, awaiting confirmation'),
    ('appointment.changed', 'status', 'confirmed', 'đã xác nhận', 'confirmed'),
    ('appointment.changed', 'status', 'cancelled', 'đã hủy', 'cancelled'),
    ('appointment.changed', 'status', 'expired', 'đã hết hạn giữ chỗ', 'the hold expired'),
    ('appointment.reminder', 'kind', 'day_before', '(ngày mai)', '(tomorrow)'),
    ('appointment.reminder', 'kind', 'hour_before', '(một giờ nữa)', '(in an hour)');

-- The JSON of a device as its owner sees it: never its token.
CREATE FUNCTION push_device_json(d push_devices, p_session text) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_object('id', d.id, 'platform', d.platform, 'locale', d.locale,
                              'this_session', coalesce(d.session_id = p_session, false),
                              'created_at', to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                              'updated_at', to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));

-- Registers the device of session p_session: (created, the device's JSON). The token's other row (another session's)
-- goes first; a lock on the token makes two sessions registering one token at once take turns.
CREATE FUNCTION push_device_register(p_subject text, p_session text, p_platform text, p_token text, p_locale text)
    RETURNS TABLE (created boolean, body jsonb)
    LANGUAGE plpgsql AS $$
DECLARE
    d push_devices;
    v_id uuid;
    fresh boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('push_devices:' || p_platform || ':' || p_token, 0));
    DELETE FROM push_devices WHERE platform = p_platform AND token = p_token AND session_id <> p_session;
    INSERT INTO push_devices AS x (subject, session_id, platform, token, locale)
    VALUES (p_subject, p_session, p_platform, p_token, p_locale)
    ON CONFLICT (session_id) DO UPDATE
        SET subject = EXCLUDED.subject, platform = EXCLUDED.platform, token = EXCLUDED.token,
            locale = EXCLUDED.locale, updated_at = now()
    RETURNING x.id, (x.xmax = 0) INTO v_id, fresh;
    SELECT * INTO d FROM push_devices WHERE id = v_id;
    RETURN QUERY SELECT fresh, push_device_json(d, p_session);
END $$;

-- One page of p_subject's inbox, newest first, below id p_before (NULL: from the newest): the unread count, the
-- items (texts in English when p_en, else Vietnamese) and the id to continue below (NULL on the last page).
CREATE FUNCTION push_inbox_page(p_subject text, p_before bigint, p_limit integer, p_en boolean)
    RETURNS TABLE (unread bigint, items jsonb, next_before bigint)
    LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT i.*, row_number() OVER (ORDER BY i.id DESC) AS n
          FROM (SELECT * FROM push_inbox
                 WHERE subject = p_subject AND deleted_at IS NULL AND (p_before IS NULL OR id < p_before)
                 ORDER BY id DESC LIMIT p_limit + 1) i)
    SELECT (SELECT count(*) FROM push_inbox WHERE subject = p_subject AND deleted_at IS NULL AND read_at IS NULL),
           coalesce(jsonb_agg(jsonb_build_object(
               'id', p.id, 'topic', p.topic,
               'title', CASE WHEN p_en THEN p.title_en ELSE p.title_vi END,
               'body', CASE WHEN p_en THEN p.body_en ELSE p.body_vi END,
               'data', p.data, 'read', p.read_at IS NOT NULL,
               'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
               ORDER BY p.id DESC) FILTER (WHERE p.n <= p_limit), '[]'::jsonb),
           CASE WHEN count(*) > p_limit THEN min(p.id) FILTER (WHERE p.n <= p_limit) END
      FROM page p
$$;
