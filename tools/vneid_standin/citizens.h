/*
 * tools/vneid_standin/citizens.h — the test citizens offered on the demo login page.
 *
 * Invented people. Their identity numbers all start 001099 and end in a small serial (000001...), which no real
 * citizen identity card carries; the names, dates of birth and wards (Hà Nội, after the 2025 reorganisation) only
 * make the demo look like the real thing.
 */
#ifndef VS_CITIZENS_H
#define VS_CITIZENS_H

#include <stddef.h>

typedef struct vs_citizen {
    const char *id;        /* 12-digit citizen identity number: the "sub" VNeID gives */
    const char *name;      /* full name, UTF-8 */
    const char *birthdate; /* YYYY-MM-DD */
    const char *ward;      /* UTF-8 */
} vs_citizen_t;

extern const vs_citizen_t vs_citizens[];
extern const size_t vs_citizen_count;

/** The citizen with this identity number, or NULL. */
const vs_citizen_t *vs_citizen_find(const char *id);

#endif
