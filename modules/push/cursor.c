/*
 * The inbox's cursor: opaque to clients (they pass back what they were given), it is "i" and the last id shown in
 * decimal, base64url without padding. The "i" leaves room for another kind of cursor later; anything that does not
 * decode to it is refused (422), never guessed at. Pure: unit-tested (tests/unit/push/test_push_validate.c).
 */
#include <stdio.h>
#include <string.h>

#include "push.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void push_cursor_encode(long long before, char out[PUSH_CURSOR_SIZE])
{
    char plain[24];
    int n = snprintf(plain, sizeof plain, "i%lld", before);
    size_t o = 0;
    for (int i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)plain[i + 2];
        int chars = i + 2 < n ? 4 : i + 1 < n ? 3 : 2;
        for (int c = 0; c < chars; c++)
            out[o++] = alphabet[(v >> (18 - 6 * c)) & 63];
    }
    out[o] = '\0';
}

static int sextet(char c)
{
    const char *at = c != '\0' ? strchr(alphabet, c) : NULL;
    return at != NULL ? (int)(at - alphabet) : -1;
}

long long push_cursor_decode(const char *cursor)
{
    size_t len = cursor != NULL ? strlen(cursor) : 0;
    if (len < 2 || len >= PUSH_CURSOR_SIZE || len % 4 == 1)
        return -1;
    char plain[PUSH_CURSOR_SIZE];
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        size_t chars = len - i < 4 ? len - i : 4;
        for (size_t c = 0; c < 4; c++) {
            int s = c < chars ? sextet(cursor[i + c]) : 0;
            if (s < 0)
                return -1;
            v |= (unsigned)s << (18 - 6 * c);
        }
        for (size_t b = 0; b + 1 < chars; b++)
            plain[n++] = (char)((v >> (16 - 8 * b)) & 0xff);
    }
    plain[n] = '\0';
    if (plain[0] != 'i' || !push_item_id_ok(plain + 1))
        return -1;
    char again[PUSH_CURSOR_SIZE];
    long long before;
    sscanf(plain + 1, "%lld", &before);
    push_cursor_encode(before, again);
    return strcmp(again, cursor) == 0 ? before : -1; /* one spelling per cursor: unused bits must be 0 */
}
