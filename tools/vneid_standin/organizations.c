/* tools/vneid_standin/organizations.c — the test organizations (see organizations.h). */
#include "organizations.h"

#include <string.h>

const vs_organization_t vs_organizations[] = {
    {"0109990001", "Công ty TNHH Thương mại Sông Hồng (thử nghiệm)", "001099000001"},
    {"0109990002", "Hợp tác xã Nông nghiệp Đông Anh (thử nghiệm)", "001099000003"},
    {"0109990002-001", "Hợp tác xã Nông nghiệp Đông Anh — Chi nhánh Gia Lâm (thử nghiệm)", "001099000003"},
};
const size_t vs_organization_count = sizeof vs_organizations / sizeof vs_organizations[0];

const vs_organization_t *vs_organization_find(const char *tax_code)
{
    for (size_t i = 0; tax_code && i < vs_organization_count; i++)
        if (strcmp(vs_organizations[i].tax_code, tax_code) == 0)
            return &vs_organizations[i];
    return NULL;
}
