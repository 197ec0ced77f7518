/* Snapshots of the reloadable settings (contract in live_config.h). */
#include "live_config.h"

#include <stdlib.h>
#include <string.h>

cong_live_config_t *cong_live_config_new(const cong_config_t *config, int owned, unsigned generation)
{
    cong_live_config_t *live = calloc(1, sizeof *live);
    if (live == NULL)
        return NULL;
    if (cong_trusted_proxies_parse(&config->server.trusted_proxies, &live->proxies) != 0) {
        free(live);
        return NULL;
    }
    live->config = config;
    live->owned = owned ? (cong_config_t *)config : NULL;
    live->generation = generation;
    return live;
}

void cong_live_config_free_chain(cong_live_config_t *live)
{
    while (live != NULL) {
        cong_live_config_t *older = live->older;
        cong_trusted_proxies_free(&live->proxies);
        if (live->owned != NULL) {
            cong_config_free(live->owned);
            free(live->owned);
        }
        free(live);
        live = older;
    }
}

int cong_live_config_key_is_reloadable(const char *path)
{
    static const char *const prefixes[] = {"rate_limits.", "cors."};
    static const char *const keys[] = {"log.level", "server.trusted_proxies", "vneid.jwks"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(path, keys[i]) == 0)
            return 1;
    return 0;
}
