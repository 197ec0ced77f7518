-- orgs 0005: every change of an organization's webhook endpoints leaves an audit record (created, deleted, enabled,
-- secret rotated): an endpoint decides where the organization's events go, so who changed it and when must be
-- provable. The actor is the organization's API client ('client:<client_id>', actor_kind client), the subject the
-- organization, the object the endpoint. Called inside the statement that makes the change (webhook_endpoints.c,
-- webhook_lifecycle.c), so a change without its record cannot commit. The URL is not recorded (its query may carry a
-- receiver's token); the event types are.
CREATE FUNCTION webhook_audit(p_client text, p_org uuid, p_action text, p_endpoint uuid, p_request_id text,
                              p_detail jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE sql AS $$
    SELECT cong_audit('orgs', 'client:' || p_client, 'client', 'org:' || p_org, p_action, 'webhook:' || p_endpoint,
                      p_request_id, p_detail)
$$;
