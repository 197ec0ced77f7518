/*
 * tools/vneid_standin/authorize.c — the authorization endpoint (OpenID Connect Core §3.1.2, PKCE RFC 7636).
 *
 * GET shows the demo login page; POST (the page's form, carrying the request's parameters in hidden fields) issues a
 * code and sends the browser back to the client. Problems with client_id or redirect_uri are shown as a page and never
 * redirected (RFC 6749 §4.1.2.1: the redirect target is not trusted yet); every later problem goes back to the client
 * as ?error=...&state=....
 */
#include "handlers.h"
#include "http.h"

#include "form.h"

#include "cong/module.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define STATE_MAX 1024

typedef struct authz {
    const char *response_type, *client_id, *redirect_uri, *scope, *state, *nonce;
    const char *code_challenge, *code_challenge_method, *acr_values, *prompt;
} authz_t;

/* The request's parameters, also repeated as hidden fields by the login page. */
static const char *const hidden_fields[] = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                                             "code_challenge", "code_challenge_method"};

static void read_request(const vs_form_t *f, authz_t *a)
{
    *a = (authz_t){
        .response_type = vs_form_get(f, "response_type"),
        .client_id = vs_form_get(f, "client_id"),
        .redirect_uri = vs_form_get(f, "redirect_uri"),
        .scope = vs_form_get(f, "scope"),
        .state = vs_form_get(f, "state"),
        .nonce = vs_form_get(f, "nonce"),
        .code_challenge = vs_form_get(f, "code_challenge"),
        .code_challenge_method = vs_form_get(f, "code_challenge_method"),
        .acr_values = vs_form_get(f, "acr_values"),
        .prompt = vs_form_get(f, "prompt"),
    };
}

/* Whether the space-separated list contains word. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p += len + (p[len] == ' ');
    }
    return 0;
}

static int is_b64url(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_'))
            return 0;
    return 1;
}

/* The prefix must end on a URL boundary, so "http://127.0.0.1" admits http://127.0.0.1:8080/cb but neither
 * http://127.0.0.1.evil.example/ nor http://127.0.0.1:80@evil.example/. No fragment, no backslash, printable ASCII. */
static int redirect_uri_allowed(const char *uri, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strlen(uri) >= VS_REDIRECT_URI_MAX || strncmp(uri, prefix, n) != 0)
        return 0;
    for (const char *p = uri; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '\\')
            return 0;
    const char *rest = uri + n;
    if (n > 0 && prefix[n - 1] == '/')
        return 1;
    if (*rest == ':') {
        size_t digits = strspn(rest + 1, "0123456789");
        if (digits == 0 || digits > 5)
            return 0;
        rest += 1 + digits;
    }
    return *rest == '\0' || *rest == '/' || *rest == '?';
}

static int redirect_uri_registered(const vs_config_t *c, const char *uri)
{
    for (size_t i = 0; i < c->redirect_uri_prefix_count; i++)
        if (redirect_uri_allowed(uri, c->redirect_uri_prefixes[i]))
            return 1;
    return 0;
}

/* Problems that must not be redirected: the reason, or NULL. */
static const char *check_client(const vs_app_t *app, const authz_t *a)
{
    if (!a->client_id || strcmp(a->client_id, app->config.client_id) != 0)
        return "client_id không hợp lệ (unknown client_id)";
    if (!a->redirect_uri || !redirect_uri_registered(&app->config, a->redirect_uri))
        return "redirect_uri không được phép (redirect_uri is not registered for this client)";
    if (a->state && strlen(a->state) > STATE_MAX)
        return "state quá dài (state is too long)";
    return NULL;
}

/* Problems reported to the client: the reason, with the RFC 6749 §4.1.2.1 error code in *error; or NULL. */
static const char *check_request(const authz_t *a, const char **error)
{
    *error = "invalid_request";
    if (!a->response_type || strcmp(a->response_type, "code") != 0) {
        *error = "unsupported_response_type";
        return "only response_type=code is supported";
    }
    if (!has_word(a->scope, "openid")) {
        *error = "invalid_scope";
        return "scope must include openid";
    }
    if (!a->code_challenge_method || strcmp(a->code_challenge_method, "S256") != 0)
        return "PKCE is required, with code_challenge_method=S256";
    if (!a->code_challenge || !is_b64url(a->code_challenge, VS_CODE_CHARS))
        return "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters";
    if (a->nonce && strlen(a->nonce) >= VS_NONCE_MAX)
        return "nonce is too long";
    if (has_word(a->prompt, "none")) {
        *error = "login_required";
        return "this provider always shows its login page";
    }
    return NULL;
}

static void security_headers(h2o_req_t *req)
{
    standin_header(req, "cache-control", "no-store");
    standin_header(req, "referrer-policy", "no-referrer");
    standin_header(req, "x-frame-options", "DENY");
    standin_header(req, "content-security-policy",
                   "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>VNeID (thử nghiệm / test) — Đăng nhập</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f4;color:#222}\n"
    ".banner{background:#b71c1c;color:#fff;padding:.6em 1em;font-weight:bold;text-align:center}\n"
    "main{max-width:44em;margin:1.5em auto;background:#fff;padding:1em 1.5em;border-radius:8px}\n"
    "h1{font-size:1.3em;color:#b71c1c}\n.en{color:#666;font-weight:normal;font-size:.9em}\n"
    "fieldset{border:1px solid #ddd;border-radius:6px;margin:1em 0}\n"
    "label{display:block;padding:.5em;border-bottom:1px solid #eee;cursor:pointer}\n"
    "button{font-size:1em;padding:.6em 1.4em;margin-right:.6em;border:0;border-radius:6px;"
    "background:#b71c1c;color:#fff;cursor:pointer}\nbutton.secondary{background:#777}\n"
    ".error{border-left:4px solid #b71c1c;padding:.5em 1em;background:#fff3f3}\n.note{font-size:.85em;color:#555}\n"
    "</style>\n</head>\n<body>\n"
    "<div class=\"banner\">MÔI TRƯỜNG THỬ NGHIỆM — đây không phải VNeID thật<br>"
    "<span class=\"en\" style=\"color:#fff\">Test environment — this is not the real VNeID</span></div>\n<main>\n";
static const char page_tail[] = "</main>\n</body>\n</html>\n";

static void reply_page(h2o_req_t *req, int status, standin_buf_t *page)
{
    security_headers(req);
    if (page->failed)
        standin_reply_text(req, 503, "out of memory\n");
    else
        standin_reply(req, status, "text/html; charset=utf-8", page->data, page->len);
    standin_buf_free(page);
}

static void reply_error_page(h2o_req_t *req, const char *reason)
{
    standin_buf_t page = {0};
    standin_buf_add(&page, page_head);
    standin_buf_add(&page, "<h1>Yêu cầu không hợp lệ <span class=\"en\">Invalid request</span></h1>\n<p class=\"error\">");
    standin_buf_add_html(&page, reason);
    standin_buf_add(&page, "</p>\n<p>Không thể quay lại ứng dụng an toàn. <span class=\"en\">You cannot be sent back to the "
                      "application safely.</span></p>\n");
    standin_buf_add(&page, page_tail);
    reply_page(req, 400, &page);
}

/* 302 to redirect_uri with params (already encoded), then state and iss (RFC 9207). */
static void redirect(const vs_app_t *app, h2o_req_t *req, const authz_t *a, const char *params)
{
    standin_buf_t url = {0};
    standin_buf_add(&url, a->redirect_uri);
    standin_buf_add(&url, strchr(a->redirect_uri, '?') ? "&" : "?");
    standin_buf_add(&url, params);
    if (a->state) {
        standin_buf_add(&url, "&state=");
        vs_buf_add_url(&url, a->state);
    }
    standin_buf_add(&url, "&iss=");
    vs_buf_add_url(&url, app->config.issuer);
    if (url.failed) {
        standin_reply_text(req, 503, "out of memory\n");
    } else {
        standin_header(req, "location", url.data);
        standin_header(req, "cache-control", "no-store");
        standin_header(req, "referrer-policy", "no-referrer");
        standin_reply(req, 302, NULL, NULL, 0);
    }
    standin_buf_free(&url);
}

static void redirect_error(const vs_app_t *app, h2o_req_t *req, const authz_t *a, const char *error,
                           const char *description)
{
    standin_buf_t params = {0};
    standin_buf_add(&params, "error=");
    standin_buf_add(&params, error);
    standin_buf_add(&params, "&error_description=");
    vs_buf_add_url(&params, description);
    if (params.failed)
        standin_reply_text(req, 503, "out of memory\n");
    else
        redirect(app, req, a, params.data);
    standin_buf_free(&params);
}

/* The level to preselect: the first of acr_values this provider knows, else 1. */
static int requested_level(const authz_t *a)
{
    for (const char *p = a->acr_values; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len == 1 && (*p == '1' || *p == '2'))
            return *p - '0';
        p += len + (p[len] == ' ');
    }
    return 1;
}

static void add_citizens(standin_buf_t *page)
{
    standin_buf_add(page, "<fieldset><legend>Chọn công dân thử nghiệm <span class=\"en\">Choose a test citizen</span>"
                     "</legend>\n");
    for (size_t i = 0; i < vs_citizen_count; i++) {
        const vs_citizen_t *c = &vs_citizens[i];
        const char *b = c->birthdate; /* YYYY-MM-DD, shown DD/MM/YYYY */
        standin_buf_printf(page, "<label><input type=\"radio\" name=\"citizen\" value=\"%s\"%s> <b>", c->id,
                      i == 0 ? " checked" : "");
        standin_buf_add_html(page, c->name);
        standin_buf_printf(page, "</b><br>Số định danh cá nhân <span class=\"en\">(personal identification number)</span>: "
                            "%s<br>Ngày sinh <span class=\"en\">(date of birth)</span>: %.2s/%.2s/%.4s · "
                            "Nơi thường trú <span class=\"en\">(permanent residence)</span>: ",
                      c->id, b + 8, b + 5, b);
        standin_buf_add_html(page, c->ward);
        standin_buf_add(page, ", Hà Nội</label>\n");
    }
    standin_buf_add(page, "</fieldset>\n");
}

/* Organization accounts: signing in to one, the person is its legal representative (organizations.h). */
static void add_organizations(standin_buf_t *page)
{
    standin_buf_add(page, "<fieldset><legend>Tài khoản <span class=\"en\">Account</span></legend>\n"
                          "<label><input type=\"radio\" name=\"organization\" value=\"\" checked> Tài khoản cá nhân "
                          "của công dân đã chọn <span class=\"en\">(the chosen citizen's own account)</span></label>\n");
    for (size_t i = 0; i < vs_organization_count; i++) {
        const vs_organization_t *o = &vs_organizations[i];
        const vs_citizen_t *rep = vs_citizen_find(o->representative);
        standin_buf_printf(page, "<label><input type=\"radio\" name=\"organization\" value=\"%s\"> Tổ chức "
                                 "<span class=\"en\">(organization)</span> <b>", o->tax_code);
        standin_buf_add_html(page, o->name);
        standin_buf_printf(page, "</b><br>Mã số doanh nghiệp <span class=\"en\">(tax code)</span>: %s · "
                                 "Người đại diện theo pháp luật <span class=\"en\">(legal representative)</span>: ",
                           o->tax_code);
        standin_buf_add_html(page, rep != NULL ? rep->name : o->representative);
        standin_buf_add(page, "</label>\n");
    }
    standin_buf_add(page, "</fieldset>\n");
}

static void add_levels(standin_buf_t *page, int level)
{
    standin_buf_printf(page,
                  "<fieldset><legend>Mức độ xác thực <span class=\"en\">Level of assurance</span></legend>\n"
                  "<label><input type=\"radio\" name=\"level\" value=\"1\"%s> Mức độ 1 — mật khẩu "
                  "<span class=\"en\">(Level 1 — password)</span></label>\n"
                  "<label><input type=\"radio\" name=\"level\" value=\"2\"%s> Mức độ 2 — mật khẩu và mã OTP, "
                  "tài khoản đã xác minh trực tiếp <span class=\"en\">(Level 2 — password and one-time code, "
                  "account verified in person)</span></label>\n</fieldset>\n",
                  level == 1 ? " checked" : "", level == 2 ? " checked" : "");
}

static void reply_login_page(const vs_app_t *app, h2o_req_t *req, const vs_form_t *form, const authz_t *a)
{
    standin_buf_t page = {0};
    standin_buf_add(&page, page_head);
    standin_buf_add(&page, "<h1>Đăng nhập bằng tài khoản định danh điện tử <span class=\"en\">Sign in with your electronic "
                      "identity account</span></h1>\n<p>Ứng dụng <b>");
    standin_buf_add_html(&page, app->config.client_id);
    standin_buf_add(&page, "</b> yêu cầu xác thực danh tính của bạn. <span class=\"en\">The application asks to verify "
                      "your identity.</span></p>\n<form method=\"post\" action=\"/authorize\">\n");
    for (size_t i = 0; i < sizeof hidden_fields / sizeof hidden_fields[0]; i++) {
        const char *value = vs_form_get(form, hidden_fields[i]);
        if (!value)
            continue;
        standin_buf_printf(&page, "<input type=\"hidden\" name=\"%s\" value=\"", hidden_fields[i]);
        standin_buf_add_html(&page, value);
        standin_buf_add(&page, "\">\n");
    }
    add_citizens(&page);
    add_organizations(&page);
    add_levels(&page, requested_level(a));
    standin_buf_add(&page, "<button type=\"submit\" name=\"action\" value=\"login\">Đăng nhập <span class=\"en\" "
                      "style=\"color:#fff\">Sign in</span></button>"
                      "<button type=\"submit\" name=\"action\" value=\"cancel\" class=\"secondary\">Huỷ "
                      "<span class=\"en\" style=\"color:#fff\">Cancel</span></button>\n</form>\n"
                      "<p class=\"note\">Các số định danh thử nghiệm bắt đầu bằng 001099 và không thuộc về ai. "
                      "<span class=\"en\">The test numbers start with 001099 and belong to nobody.</span></p>\n");
    standin_buf_add(&page, page_tail);
    reply_page(req, 200, &page);
}

/* POST: the person picked a citizen and a level (or cancelled). */
static void issue_code(vs_app_t *app, h2o_req_t *req, const vs_form_t *form, const authz_t *a)
{
    const char *action = vs_form_get(form, "action"), *level = vs_form_get(form, "level");
    if (action && strcmp(action, "cancel") == 0) {
        redirect_error(app, req, a, "access_denied", "the person cancelled the login");
        return;
    }
    const char *org_code = vs_form_get(form, "organization");
    const vs_organization_t *org = org_code && *org_code ? vs_organization_find(org_code) : NULL;
    /* an organization's account is signed in to by its representative, whoever was picked above */
    const vs_citizen_t *citizen = vs_citizen_find(org ? org->representative : vs_form_get(form, "citizen"));
    if (org_code && *org_code && !org) {
        reply_error_page(req, "Tổ chức không có trong danh sách (unknown organization)");
        return;
    }
    if (!citizen || !level || (strcmp(level, "1") != 0 && strcmp(level, "2") != 0)) {
        reply_error_page(req, "Hãy chọn một công dân thử nghiệm và mức độ 1 hoặc 2 (choose a test citizen and "
                              "level 1 or 2)");
        return;
    }
    int64_t now = (int64_t)time(NULL);
    vs_grant_t grant = {.level = level[0] - '0', .auth_time = now};
    snprintf(grant.client_id, sizeof grant.client_id, "%s", a->client_id);
    snprintf(grant.redirect_uri, sizeof grant.redirect_uri, "%s", a->redirect_uri);
    snprintf(grant.code_challenge, sizeof grant.code_challenge, "%s", a->code_challenge);
    snprintf(grant.nonce, sizeof grant.nonce, "%s", a->nonce ? a->nonce : "");
    snprintf(grant.citizen_id, sizeof grant.citizen_id, "%s", citizen->id);
    snprintf(grant.org_code, sizeof grant.org_code, "%s", org ? org->tax_code : "");
    char code[VS_CODE_CHARS + 1], params[VS_CODE_CHARS + 8];
    int rc = vs_codes_issue(&app->codes, &grant, now, code);
    if (rc != CONG_OK) {
        redirect_error(app, req, a, rc == CONG_EBUSY ? "temporarily_unavailable" : "server_error",
                       "no authorization code could be issued");
        return;
    }
    snprintf(params, sizeof params, "code=%s", code);
    redirect(app, req, a, params);
}

void vs_serve_authorize(vs_app_t *app, h2o_req_t *req)
{
    int post = standin_method_is(req, "POST");
    if (post && !standin_content_type_is(req, "application/x-www-form-urlencoded")) {
        reply_error_page(req, "Biểu mẫu không hợp lệ (the form must be application/x-www-form-urlencoded)");
        return;
    }
    const char *text = "";
    size_t len = 0;
    if (post && req->entity.base) {
        text = req->entity.base;
        len = req->entity.len;
    } else if (!post && req->query_at != SIZE_MAX) {
        text = req->path.base + req->query_at + 1;
        len = req->path.len - req->query_at - 1;
    }
    vs_form_t form;
    vs_form_result_t parsed = vs_form_parse(text, len, &form);
    authz_t a;
    read_request(&form, &a);
    const char *reason = NULL, *error = NULL;
    if (parsed != VS_FORM_OK)
        reply_error_page(req, parsed == VS_FORM_DUPLICATE ? "Tham số bị lặp (a parameter is repeated)"
                                                          : "Tham số không hợp lệ (malformed parameters)");
    else if ((reason = check_client(app, &a)) != NULL)
        reply_error_page(req, reason);
    else if ((reason = check_request(&a, &error)) != NULL)
        redirect_error(app, req, &a, error, reason);
    else if (post)
        issue_code(app, req, &form, &a);
    else
        reply_login_page(app, req, &form, &a);
    vs_form_free(&form);
}
