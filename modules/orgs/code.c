/*
 * modules/orgs — the syntax of an enterprise/tax code (mã số doanh nghiệp, Law on Tax Administration 2019 and
 * Circular 105/2020/TT-BTC): 10 digits for the enterprise, followed for a dependent unit (branch, representative
 * office) by "-" and its 3-digit number, 001..999. The 10th digit is a check digit; it is not verified here.
 */
#include <string.h>

#include "orgs.h"

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int orgs_code_valid(const char *code)
{
    if (code == NULL)
        return 0;
    size_t n = strlen(code);
    if (n == 10)
        return digits(code, 10);
    if (n != 14 || !digits(code, 10) || code[10] != '-' || !digits(code + 11, 3))
        return 0;
    return strcmp(code + 11, "000") != 0;
}
