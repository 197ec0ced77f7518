/*
 * auth/mandate_claim.c — the names of a mandate's actions, shared by the token's "mandate" claim (jwt_verify.c), the
 * signer (identity.c) and the gateway's mandate phase. The list is the one of gateway/migrations/0006_mandates.sql.
 */
#include <string.h>

#include "auth.h"

static const struct {
    const char *name;
    unsigned bit;
} actions[] = {
    {"view", CONG_MANDATE_VIEW},     {"submit", CONG_MANDATE_SUBMIT}, {"pay", CONG_MANDATE_PAY},
    {"receive_result", CONG_MANDATE_RECEIVE_RESULT}, {"rate", CONG_MANDATE_RATE},
};

unsigned cong_mandate_action_bit(const char *name, size_t len)
{
    for (size_t i = 0; name != NULL && i < sizeof actions / sizeof actions[0]; i++)
        if (strlen(actions[i].name) == len && memcmp(actions[i].name, name, len) == 0)
            return actions[i].bit;
    return 0;
}

const char *cong_mandate_action_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (actions[i].bit == bit)
            return actions[i].name;
    return NULL;
}

int cong_word_in_list(const char *list, const char *word, size_t len)
{
    if (list == NULL || word == NULL || len == 0)
        return 0;
    for (const char *p = list; *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if ((size_t)(p - start) == len && memcmp(start, word, len) == 0)
            return 1;
    }
    return 0;
}
