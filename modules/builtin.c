#include "modules.h"

const cong_builtin_module_t cong_builtin_modules[] = {
    {"ping", cong_ping_onload},
    {"procedures", cong_procedures_onload},
    {"identity_clients", cong_identity_clients_onload},
};

const size_t cong_builtin_module_count = sizeof(cong_builtin_modules) / sizeof(cong_builtin_modules[0]);
