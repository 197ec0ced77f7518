/*
 * gateway/config/config_values.h — a key's value: where it sits in cong_config_t, how text becomes one, how it is
 * checked (internal to gateway/config/). Shared by the defaults, the YAML reader and the environment.
 */
#ifndef CONG_GATEWAY_CONFIG_VALUES_H
#define CONG_GATEWAY_CONFIG_VALUES_H

#include "config_keys.h"
#include "config_report.h"

char **cong_config_string_field(cong_config_t *cfg, const cong_config_key_t *key);
int *cong_config_int_field(cong_config_t *cfg, const cong_config_key_t *key);
cong_strlist_t *cong_config_list_field(cong_config_t *cfg, const cong_config_key_t *key);

/** Frees a string field's old value and keeps `copy` (owned) instead. */
void cong_config_replace_string(char **field, char *copy);

void cong_strlist_free(cong_strlist_t *list);
/** Appends a copy of text[0..len). 0 or CONG_ENOMEM. */
int cong_strlist_push(cong_strlist_t *list, const char *text, size_t len);
int cong_strlist_contains(const cong_strlist_t *list, const char *text);
int cong_strlist_equal(const cong_strlist_t *a, const cong_strlist_t *b);

/** The checks every string value and list item has to pass (no NUL, no empty item), then the key's own. NULL when
 *  fine, else a message that does not quote the value. */
const char *cong_config_check_text(const cong_config_key_t *key, const char *text, size_t len);
/** A decimal integer within [min, max], with an optional sign and no leading zeros (YAML 1.1 reads them as octal).
 *  1 with *out set, or 0. */
int cong_config_parse_int(const char *s, size_t len, long min, long max, int *out);

/** Sets `key` from text as the environment writes it (lists comma-separated); errors name `name`, at line 0. */
void cong_config_set_from_text(cong_config_t *cfg, const cong_config_key_t *key, const char *text,
                               cong_config_report_t *rep, const char *name);

#endif
