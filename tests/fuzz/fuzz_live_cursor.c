/*
 * tests/fuzz/fuzz_live_cursor.c — libFuzzer target for modules/push/live_id.c: a client's Last-Event-ID on
 * GET /v1/me/events (untrusted bytes), parsed as a lone stream id or a cursor over the three live logs; and for
 * live_line.c: the same bytes as a line of the live channel (what it names lies inside it, a subject has no space).
 *
 * Oracles beyond "no crash, no leak": what parses as a cursor formats back to text that parses to the same cursor, is
 * at most PUSH_LIVE_CURSOR_SIZE - 1 bytes, and holds only digits, '-' and '.'; the input itself is that text again
 * when it was a three-id cursor (the form is canonical: no leading zero, no sign, no space). Bytes after a NUL are
 * not seen (the module refuses a header holding one before parsing). A lone id parses as a
 * stream id too and is the cursor's person component, the other two 0-0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/push/push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    push_live_cursor_t c, again;
    if (push_live_cursor_parse(text, &c)) {
        char out[PUSH_LIVE_CURSOR_SIZE];
        push_live_cursor_format(&c, out);
        if (strlen(out) >= PUSH_LIVE_CURSOR_SIZE || strspn(out, "0123456789-.") != strlen(out) ||
            !push_live_cursor_parse(out, &again) || memcmp(&c, &again, sizeof c) != 0)
            abort();
        push_live_id_t lone;
        int is_lone = push_live_id_parse(text, &lone);
        if (is_lone && (push_live_id_cmp(lone, c.id[PUSH_LOG_PERSON]) != 0 || c.id[PUSH_LOG_AREA].ms != 0 ||
                        c.id[PUSH_LOG_AREA].seq != 0 || c.id[PUSH_LOG_CITY].ms != 0 || c.id[PUSH_LOG_CITY].seq != 0))
            abort();
        if (!is_lone && strcmp(out, text) != 0)
            abort();
    }
    const char *name;
    size_t len;
    push_live_line_t kind = push_live_line((const char *)data, size, &name, &len);
    if ((kind == PUSH_LINE_SUBJECT || kind == PUSH_LINE_AREA) &&
        (name < (const char *)data || name + len > (const char *)data + size || len == 0 || memchr(name, ' ', len)))
        abort();
    if ((kind == PUSH_LINE_AREA || kind == PUSH_LINE_CITY) && (size < 6 || memcmp(data, "area ", 5) != 0))
        abort();
    free(text);
    return 0;
}
