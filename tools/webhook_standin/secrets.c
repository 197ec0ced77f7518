/* tools/webhook_standin/secrets.c — the receiver's secrets, from the file named by --secret-file (app.h). Lines are
 * wiped once read; nothing of them is ever printed. */
#include "app.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

int wh_load_secrets(wh_app_t *app)
{
    FILE *f = fopen(app->config.secret_file, "r");
    if (!f)
        return -1;
    webhook_secret_t read[WH_MAX_SECRETS];
    size_t n = 0;
    int ok = 1;
    char line[512];
    while (ok && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        ok = len < sizeof line - 1 || line[len] != '\0'; /* a line longer than the buffer is no secret */
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (!ok || len == 0 || line[0] == '#')
            continue;
        ok = n < WH_MAX_SECRETS && webhook_secret_parse(line, len, &read[n]) == 0;
        n += ok;
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (ok && n > 0) {
        for (size_t i = 0; i < WH_MAX_SECRETS; i++)
            webhook_secret_wipe(&app->secrets[i]);
        memcpy(app->secrets, read, n * sizeof read[0]);
        app->n_secrets = n;
    }
    OPENSSL_cleanse(read, sizeof read);
    return ok && n > 0 ? (int)n : -1;
}
