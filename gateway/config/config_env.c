/* The CONG_* environment over the configuration (contract in config.h): CONG_ + the key path upper-cased with "." →
 * "_" (server.tls_port → CONG_SERVER_TLS_PORT), lists comma-separated, errors as "env:0: CONG_X: message". */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_keys.h"
#include "config_values.h"
#include "cong/module.h"

/* Environment variables that start with CONG_ but are not settings. */
static const char *const env_ignored[] = {"CONG_CONFIG", "CONG_SOURCE_DIR", "CONG_BUILD_DIR"};

/* server.tls_port → CONG_SERVER_TLS_PORT */
static void env_name(const cong_config_key_t *key, char *out, size_t size)
{
    int n = snprintf(out, size, "CONG_%s", key->path);
    for (int i = 5; i < n && (size_t)i < size; i++)
        out[i] = out[i] == '.' ? '_' : (char)toupper((unsigned char)out[i]);
}

static const cong_config_key_t *find_env_key(const char *name, size_t len)
{
    char candidate[CONG_CONFIG_PATH_LEN];
    for (size_t i = 0; i < cong_config_key_count(); i++) {
        const cong_config_key_t *key = cong_config_key_at(i);
        env_name(key, candidate, sizeof candidate);
        if (strlen(candidate) == len && memcmp(candidate, name, len) == 0)
            return key;
    }
    return NULL;
}

/* CONG_MODULES_* are the modules' own keys, which the module loader reads. */
static int is_ignored_env(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof env_ignored / sizeof env_ignored[0]; i++)
        if (strlen(env_ignored[i]) == len && memcmp(env_ignored[i], name, len) == 0)
            return 1;
    return len >= 13 && memcmp(name, "CONG_MODULES_", 13) == 0;
}

static void apply_env_entry(cong_config_t *cfg, const char *entry, cong_config_report_t *rep)
{
    const char *equals = strchr(entry, '=');
    if (strncmp(entry, "CONG_", 5) != 0 || !equals)
        return;
    size_t len = (size_t)(equals - entry);
    char name[CONG_CONFIG_KEY_MAX + 4];
    cong_config_printable_name(name, entry, len);
    const cong_config_key_t *key = find_env_key(entry, len);
    if (key) {
        cong_config_set_from_text(cfg, key, equals + 1, rep, name);
        cong_config_note_origin(cfg, key, "env", 0);
    } else if (!is_ignored_env(entry, len)) {
        cong_config_report(rep, 0, name, "unknown setting");
    }
}

int cong_config_apply_env(cong_config_t *cfg, char *const *envp, cong_config_errors_t *errs)
{
    if (!cfg)
        return CONG_EINVAL;
    cong_config_report_t rep = {.errs = errs, .file = "env"};
    for (size_t i = 0; envp && envp[i] && !rep.stop; i++)
        apply_env_entry(cfg, envp[i], &rep);
    return cong_config_report_result(&rep);
}
