/*
 * modules/orgs — what an endpoint may be (pure; unit-tested in tests/unit/orgs): its URL and its event types. The
 * rules are in orgs.h ("Webhooks").
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "orgs.h"

static const char *const event_types[] = {
    "dossier.status_changed", "dossier.supplement_requested", "payment.succeeded", "payment.refunded",
    "dossier.result_issued",
};

int orgs_webhook_event_type_ok(const char *type)
{
    for (size_t i = 0; type != NULL && i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(type, event_types[i]) == 0)
            return 1;
    return 0;
}

/* The host and optional port after the scheme: a name of [A-Za-z0-9.-] (labels not empty), then ":1".."65535". */
static int authority_ok(const char *s, size_t len)
{
    size_t host_len = 0;
    while (host_len < len && s[host_len] != ':')
        host_len++;
    if (host_len == 0 || host_len > 253 || s[0] == '.' || s[host_len - 1] == '.')
        return 0;
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || (c == '.' && s[i + 1] != '.')))
            return 0;
    }
    if (host_len == len)
        return 1;
    size_t digits = len - host_len - 1;
    if (digits == 0 || digits > 5 || s[host_len + 1] == '0')
        return 0;
    long port = 0;
    for (size_t i = host_len + 1; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        port = port * 10 + (s[i] - '0');
    }
    return port <= 65535;
}

int orgs_webhook_url_ok(const char *url, int allow_http_loopback)
{
    if (url == NULL || strlen(url) > ORGS_WEBHOOK_URL_MAX)
        return 0;
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (allow_http_loopback && strncmp(url, "http://127.0.0.1", 16) == 0 &&
             (url[16] == ':' || url[16] == '/' || url[16] == '\0'))
        rest = url + 7;
    else
        return 0;
    size_t auth_len = strcspn(rest, "/?#");
    if (!authority_ok(rest, auth_len))
        return 0;
    /* path and query: visible ASCII, no fragment, no userinfo (the authority check refused '@'), no spaces */
    for (const char *p = rest + auth_len; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#' || *p == '\\')
            return 0;
    return 1;
}

int orgs_uuid_ok(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static int digits_at(const char *s, int at, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[at + i] - '0');
    return v;
}

/* A real UTC time (month 13 or 31 February would reach PostgreSQL as an error, a 500): the fields survive timegm's
 * normalisation unchanged. */
static int cursor_time_real(const char *s)
{
    struct tm tm = {.tm_year = digits_at(s, 0, 4) - 1900, .tm_mon = digits_at(s, 5, 2) - 1,
                    .tm_mday = digits_at(s, 8, 2), .tm_hour = digits_at(s, 11, 2), .tm_min = digits_at(s, 14, 2),
                    .tm_sec = digits_at(s, 17, 2)};
    struct tm asked = tm, back;
    time_t t = timegm(&tm);
    return gmtime_r(&t, &back) != NULL && back.tm_year == asked.tm_year && back.tm_mon == asked.tm_mon &&
           back.tm_mday == asked.tm_mday && back.tm_hour == asked.tm_hour && back.tm_min == asked.tm_min &&
           back.tm_sec == asked.tm_sec;
}

int orgs_webhook_cursor_ok(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ_";
    if (s == NULL || strlen(s) != ORGS_WEBHOOK_CURSOR_LEN)
        return 0;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    return cursor_time_real(s) && orgs_uuid_ok(s + sizeof shape - 1);
}
