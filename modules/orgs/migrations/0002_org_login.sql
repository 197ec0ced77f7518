-- orgs 0002: organizations created from a VNeID organization login (issue 18). The identity module calls org_login
-- once the gateway has verified an ID token of an organization's account (modules/identity/org_claims.h): its tax
-- code, its name, and the pseudonymous subject of the person who signed in, its legal representative.
--
-- Answers (outcome, org_id, name, status):
--   'created'   no organization had the code: it is created with this representative (audit 'org.create', actor the
--               representative, detail {code, name, via: 'vneid'})
--   'found'     it exists with this representative (its name is VNeID's now, when it changed)
--   'mismatch'  it exists with another representative: the login is refused (audit 'org.login_refused', subject the
--               registered representative's, actor the one who tried; nothing else changes)
--   'suspended' it exists with this representative, suspended: the login is refused
CREATE FUNCTION org_login(p_code text, p_name text, p_representative text, p_request_id text)
    RETURNS TABLE (outcome text, org_id uuid, org_name text, org_status text)
    LANGUAGE plpgsql AS $$
DECLARE
    o organizations;
BEGIN
    INSERT INTO organizations (code, name, representative) VALUES (p_code, p_name, p_representative)
    ON CONFLICT (code) DO NOTHING RETURNING * INTO o;
    IF FOUND THEN
        PERFORM cong_audit('orgs', p_representative, 'citizen', p_representative, 'org.create', 'org:' || o.id,
                           p_request_id, jsonb_build_object('code', o.code, 'name', o.name, 'via', 'vneid'));
        RETURN QUERY SELECT 'created', o.id, o.name, o.status;
        RETURN;
    END IF;
    SELECT * INTO o FROM organizations x WHERE x.code = p_code FOR UPDATE;
    IF o.representative <> p_representative THEN
        PERFORM cong_audit('orgs', p_representative, 'citizen', o.representative, 'org.login_refused',
                           'org:' || o.id, p_request_id, jsonb_build_object('code', o.code, 'why', 'representative'));
        RETURN QUERY SELECT 'mismatch', o.id, o.name, o.status;
        RETURN;
    END IF;
    IF o.status <> 'active' THEN
        RETURN QUERY SELECT 'suspended', o.id, o.name, o.status;
        RETURN;
    END IF;
    IF o.name <> p_name THEN
        UPDATE organizations SET name = p_name WHERE id = o.id RETURNING * INTO o;
        PERFORM cong_audit('orgs', p_representative, 'citizen', p_representative, 'org.rename', 'org:' || o.id,
                           p_request_id, jsonb_build_object('name', o.name, 'via', 'vneid'));
    END IF;
    RETURN QUERY SELECT 'found', o.id, o.name, o.status;
END $$;
