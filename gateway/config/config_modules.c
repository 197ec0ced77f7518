/* Configuration of modules: `modules.load` (shared objects to load) and the modules.<name>.<key> values, kept as text
 * with where they were set. Modules declare and check their own keys when they load (module_loader.c); this feature
 * only reads the section, refusing bad names and duplicates. Environment values (CONG_MODULES_*) are left to the
 * loader too. */
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "config_reader.h"
#include "config_values.h"
#include "cong/module.h"

static void module_value_free(cong_config_module_value_t *value)
{
    free(value->module);
    free(value->key);
    free(value->value);
    free(value->file);
}

void cong_config_module_values_free(cong_config_t *cfg)
{
    for (size_t i = 0; i < cfg->module_value_count; i++)
        module_value_free(&cfg->module_values[i]);
    free(cfg->module_values);
    cfg->module_values = NULL;
    cfg->module_value_count = 0;
}

static cong_config_module_value_t *find_module_value(const cong_config_t *cfg, const char *module, const char *key)
{
    for (size_t i = 0; i < cfg->module_value_count; i++) {
        cong_config_module_value_t *value = &cfg->module_values[i];
        if (strcmp(value->module, module) == 0 && strcmp(value->key, key) == 0)
            return value;
    }
    return NULL;
}

const cong_config_module_value_t *cong_config_module_value(const cong_config_t *cfg, const char *module,
                                                           const char *key)
{
    return cfg && module && key ? find_module_value(cfg, module, key) : NULL;
}

static cong_config_module_value_t *append_module_slot(cong_config_t *cfg)
{
    cong_config_module_value_t *grown = realloc(cfg->module_values, (cfg->module_value_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    cfg->module_values = grown;
    grown[cfg->module_value_count] = (cong_config_module_value_t){0};
    return &grown[cfg->module_value_count++];
}

/* Stores module.key = text, replacing a value from an earlier parse. Returns 0 or CONG_ENOMEM. */
static int store_module_value(cong_config_t *cfg, const char *module, const char *key, const char *text,
                              size_t len, const char *file, int line)
{
    cong_config_module_value_t value = {.module = strdup(module), .key = strdup(key), .value = strndup(text, len),
                                        .file = strdup(file), .line = line};
    int complete = value.module && value.key && value.value && value.file;
    cong_config_module_value_t *slot = complete ? find_module_value(cfg, module, key) : NULL;
    if (complete && !slot)
        slot = append_module_slot(cfg);
    if (!slot) {
        module_value_free(&value);
        return CONG_ENOMEM;
    }
    module_value_free(slot);
    *slot = value;
    return 0;
}

/* Module and module key names: [a-z0-9_]+ (they also name CONG_MODULES_<NAME>_<KEY>). */
static int is_name(const char *text)
{
    if (!*text)
        return 0;
    for (const char *s = text; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* One reading of the modules section. */
typedef struct modules_section {
    cong_strlist_t seen;       /* module names met so far */
    size_t first_value;        /* module values from this index on were read by this parse */
    const char *module;        /* the module whose values are being read */
} modules_section_t;

static int on_module_value(cong_config_reader_t *reader, const char *path, const cong_config_yaml_key_t *key,
                           void *arg)
{
    const modules_section_t *s = arg;
    cong_config_t *cfg = cong_config_read_target(reader);
    size_t len = 0;
    const char *text = cong_config_read_scalar(reader, &len);
    if (!is_name(key->text))
        return cong_config_read_refuse(reader, key->line, path, "setting names must match [a-z0-9_]+");
    if (!text)
        return cong_config_read_refuse(reader, key->line, path, "expected a scalar");
    if (memchr(text, 0, len)) {
        cong_config_read_report(reader, key->line, path, "must not contain NUL bytes");
        return 0;
    }
    const cong_config_module_value_t *earlier = find_module_value(cfg, s->module, key->text);
    if (earlier && (size_t)(earlier - cfg->module_values) >= s->first_value) {
        cong_config_read_report(reader, key->line, path, "duplicate key");
        return 0;
    }
    const char *file = cong_config_read_file_name(reader);
    if (store_module_value(cfg, s->module, key->text, text, len, file, key->line) != 0)
        return cong_config_read_nomem(reader);
    return 0;
}

static int on_module_entry(cong_config_reader_t *reader, const char *path, const cong_config_yaml_key_t *key,
                           void *arg)
{
    modules_section_t *s = arg;
    if (strcmp(key->text, "load") == 0)
        return cong_config_read_setting(reader, path, key, NULL);
    if (!is_name(key->text))
        return cong_config_read_refuse(reader, key->line, path, "module names must match [a-z0-9_]+");
    if (cong_strlist_contains(&s->seen, key->text))
        return cong_config_read_refuse(reader, key->line, path, "duplicate key");
    if (cong_strlist_push(&s->seen, key->text, strlen(key->text)) != 0)
        return cong_config_read_nomem(reader);
    if (cong_config_read_is_null(reader))
        return 0;
    if (!cong_config_read_is_mapping(reader))
        return cong_config_read_refuse(reader, key->line, path, "expected a mapping of module settings");
    s->module = key->text;
    return cong_config_read_entries(reader, path, on_module_value, s);
}

static int read_modules_section(cong_config_reader_t *reader, const char *path)
{
    modules_section_t s = {.first_value = cong_config_read_target(reader)->module_value_count};
    int r = cong_config_read_entries(reader, path, on_module_entry, &s);
    cong_strlist_free(&s.seen);
    return r;
}

static const cong_config_key_t keys[] = {
    CONG_LIST_KEY("modules.load", modules.load, "", NULL),
};

const cong_config_feature_t cong_config_modules_feature =
    CONG_CONFIG_FEATURE("modules", "modules", keys, read_modules_section);
