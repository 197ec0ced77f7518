/*
 * tools/portal_standin/control.c — the tests' controls (loopback only, like everything the stand-in serves).
 *
 *   POST /control/mode   {"mode":"ok"|"fail"|"slow"|"timeout", "delay_ms": n (0..600000, default 0)}
 *                        → 200 {"mode":..., "delay_ms":n}; 400 for anything else. See ps_mode_t in app.h.
 *   POST /control/reset  forgets every record and counter, truncates the state file → 200 {"records":0}
 *   GET  /healthz        200 ok
 */
#include "handlers.h"
#include "http.h"

#include "cong/module.h"

#include <stdio.h>
#include <string.h>

static const char *const mode_names[] = {"ok", "fail", "slow", "timeout"};

void ps_serve_mode(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest)
{
    (void)rest;
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    const char *name = json_string_value(json_object_get(body, "mode"));
    json_t *delay = json_object_get(body, "delay_ms");
    int mode = -1;
    for (int i = 0; name && i < (int)(sizeof mode_names / sizeof mode_names[0]); i++)
        if (strcmp(name, mode_names[i]) == 0)
            mode = i;
    json_int_t delay_ms = delay ? json_integer_value(delay) : 0;
    int delay_ok = !delay || (json_is_integer(delay) && delay_ms >= 0 && delay_ms <= 600000);
    json_decref(body);
    if (mode < 0 || !delay_ok) {
        standin_reply_error(req, 400, "expected {\"mode\":\"ok|fail|slow|timeout\", \"delay_ms\":0..600000}");
        return;
    }
    app->mode = (ps_mode_t)mode;
    app->delay_ms = (int)delay_ms;
    fprintf(stderr, "portal-standin: mode %s, delay %d ms\n", mode_names[mode], app->delay_ms);
    standin_reply_json(req, 200, json_pack("{s:s, s:i}", "mode", mode_names[mode], "delay_ms", app->delay_ms));
}

void ps_serve_reset(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest)
{
    (void)rest;
    if (ps_ledger_reset(&app->ledger) != CONG_OK) {
        standin_reply_error(req, 503, "the state file could not be truncated");
        return;
    }
    standin_reply_json(req, 200, json_pack("{s:i}", "records", 0));
}

void ps_serve_healthz(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest)
{
    (void)app;
    (void)rest;
    standin_reply(req, 200, "text/plain", "ok\n", 3);
}
