/*
 * tests/fuzz/fuzz_config.c — libFuzzer target for gateway/config/config.c: the input is parsed as a configuration file
 * over the defaults, then everything is freed (LeakSanitizer catches what is not).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cong/module.h"
#include "gateway/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    if (cong_config_defaults(&cfg) != 0)
        abort();
    int r = cong_config_parse(&cfg, "fuzz.yaml", (const char *)data, size, &errs);
    /* 0 exactly when no error line was written; never an allocation failure at these sizes. */
    if ((r == 0) != (errs.count == 0) || (r != 0 && r != CONG_EPARSE))
        abort();
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
    return 0;
}
