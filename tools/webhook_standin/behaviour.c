/* tools/webhook_standin/behaviour.c — the answer rules (behaviour.h). */
#include "behaviour.h"

#include <string.h>

static const char *const action_names[] = {"normal", "fail", "stall", "slow"};

int wh_action_parse(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof action_names / sizeof action_names[0]); i++)
        if (strcmp(name, action_names[i]) == 0)
            return i;
    return -1;
}

const char *wh_action_name(wh_action_t action)
{
    return (unsigned)action < sizeof action_names / sizeof action_names[0] ? action_names[action] : "?";
}

static long find(const wh_rules_t *rules, const char *path, size_t len)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strlen(rules->rule[i].path) == len && memcmp(rules->rule[i].path, path, len) == 0)
            return (long)i;
    return -1;
}

static void remove_at(wh_rules_t *rules, size_t i)
{
    memmove(&rules->rule[i], &rules->rule[i + 1], (rules->n - i - 1) * sizeof rules->rule[0]);
    rules->n--;
}

int wh_rules_set(wh_rules_t *rules, const char *path, wh_action_t action, int status, int delay_ms, long count)
{
    size_t len = path ? strlen(path) : 0;
    if (len > WH_PATH_MAX || (len > 0 && path[0] != '/') || (unsigned)action > WH_SLOW || count < 0 ||
        delay_ms < 0 || delay_ms > WH_DELAY_MAX_MS || (action == WH_FAIL && (status < 400 || status > 599)))
        return -1;
    long at = find(rules, path ? path : "", len);
    if (action == WH_NORMAL) {
        if (at >= 0)
            remove_at(rules, (size_t)at);
        return 0;
    }
    if (at < 0) {
        if (rules->n == WH_MAX_RULES)
            return -1;
        at = (long)rules->n++;
    }
    wh_rule_t *r = &rules->rule[at];
    memcpy(r->path, path ? path : "", len);
    r->path[len] = '\0';
    r->action = action;
    r->status = action == WH_FAIL ? status : 0;
    r->delay_ms = action == WH_STALL || action == WH_SLOW ? delay_ms : 0;
    r->remaining = count == 0 ? -1 : count;
    return 0;
}

wh_rule_t wh_rules_take(wh_rules_t *rules, const char *path, size_t len)
{
    long at = find(rules, path, len);
    if (at < 0)
        at = find(rules, "", 0);
    if (at < 0)
        return (wh_rule_t){.action = WH_NORMAL, .remaining = -1};
    wh_rule_t taken = rules->rule[at];
    if (rules->rule[at].remaining > 0 && --rules->rule[at].remaining == 0)
        remove_at(rules, (size_t)at);
    return taken;
}

json_t *wh_rules_json(const wh_rules_t *rules)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < rules->n; i++) {
        const wh_rule_t *r = &rules->rule[i];
        json_t *one = json_pack("{s:o, s:s, s:i, s:i, s:o}", "path", r->path[0] ? json_string(r->path) : json_null(),
                                "action", wh_action_name(r->action), "status", r->status, "delay_ms", r->delay_ms,
                                "remaining", r->remaining < 0 ? json_null() : json_integer(r->remaining));
        if (!one || json_array_append_new(list, one) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}
