/*
 * tools/webhook_standin/behaviour.h — how the stand-in receiver answers the next deliveries (POST /control/behaviour):
 * a few rules, each for one path or for any path, each for the next N deliveries or until changed.
 *
 *   fail    answer `status` (4xx/5xx, default 500) at once, whatever the signature said;
 *   stall   hold the request `delay_ms` without a byte, then answer 503: a sender with a shorter deadline sees a
 *           timeout, one with a longer deadline a failure;
 *   slow    hold the request `delay_ms`, then answer as verification says (204, or the refusal);
 *   normal  (setting it removes the rule of that path) answer as verification says, at once.
 *
 * A delivery takes the rule of its exact path if there is one, else the any-path rule; taking one counts it down, and
 * a rule at zero is gone. Pure data, no I/O; the loop thread alone touches it (app.h).
 */
#ifndef WEBHOOK_STANDIN_BEHAVIOUR_H
#define WEBHOOK_STANDIN_BEHAVIOUR_H

#include <jansson.h>
#include <stddef.h>

#define WH_MAX_RULES 16
#define WH_PATH_MAX 256
#define WH_DELAY_MAX_MS 600000

typedef enum wh_action { WH_NORMAL = 0, WH_FAIL, WH_STALL, WH_SLOW } wh_action_t;

typedef struct wh_rule {
    char path[WH_PATH_MAX + 1]; /* "": any path */
    wh_action_t action;
    int status;     /* fail's answer */
    int delay_ms;   /* stall's and slow's hold */
    long remaining; /* deliveries it still applies to; -1: until changed */
} wh_rule_t;

typedef struct wh_rules {
    wh_rule_t rule[WH_MAX_RULES];
    size_t n;
} wh_rules_t;

/** "normal", "fail", "stall", "slow" → the action, or -1. */
int wh_action_parse(const char *name);
const char *wh_action_name(wh_action_t action);

/** Sets the rule of `path` ("" or NULL: any path; at most WH_PATH_MAX bytes starting with '/'), replacing the one it
 *  had; WH_NORMAL removes it. count 0: until changed. 0, or -1 (bad path or values, WH_MAX_RULES rules already). */
int wh_rules_set(wh_rules_t *rules, const char *path, wh_action_t action, int status, int delay_ms, long count);
/** The rule a delivery to path (len bytes) follows, counted down (a copy; action WH_NORMAL when none applies). */
wh_rule_t wh_rules_take(wh_rules_t *rules, const char *path, size_t len);
/** [{"path": p or null, "action", "status", "delay_ms", "remaining": n or null}] (NULL: out of memory). */
json_t *wh_rules_json(const wh_rules_t *rules);

#endif
