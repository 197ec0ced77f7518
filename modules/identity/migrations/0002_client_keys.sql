-- identity 0002: private_key_jwt client authentication (RFC 7523, issue 18). A client may register the public half of
-- its own key (`cong client set-key`: PEM SubjectPublicKeyInfo, EC P-256) and then authenticate to POST /v1/auth/token
-- with a JWT it signs (client_assertion.h), instead of its secret. Its secret stays valid too: a client that wants
-- keys only keeps its secret unused.
ALTER TABLE api_clients ADD COLUMN public_key_pem text CHECK (length(public_key_pem) < 4096);
