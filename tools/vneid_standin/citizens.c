/* tools/vneid_standin/citizens.c — the test citizens (see citizens.h). */
#include "citizens.h"

#include <string.h>

const vs_citizen_t vs_citizens[] = {
    {"001099000001", "Nguyễn Văn An", "1985-03-14", "Phường Hoàn Kiếm"},
    {"001099000002", "Trần Thị Bích Ngọc", "1992-11-02", "Phường Ba Đình"},
    {"001099000003", "Lê Minh Hoàng", "1978-07-21", "Phường Cầu Giấy"},
    {"001099000004", "Phạm Thu Hương", "2000-01-30", "Phường Văn Miếu - Quốc Tử Giám"},
    {"001099000005", "Hoàng Đức Thắng", "1965-09-02", "Phường Tây Hồ"},
    {"001099000006", "Vũ Thị Lan Anh", "1998-05-19", "Phường Láng"},
    {"001099000007", "Đặng Quốc Bảo", "2006-12-25", "Phường Long Biên"},
    {"001099000008", "Bùi Ngọc Mai", "1950-04-08", "Phường Hà Đông"},
};
const size_t vs_citizen_count = sizeof vs_citizens / sizeof vs_citizens[0];

const vs_citizen_t *vs_citizen_find(const char *id)
{
    for (size_t i = 0; id && i < vs_citizen_count; i++)
        if (strcmp(vs_citizens[i].id, id) == 0)
            return &vs_citizens[i];
    return NULL;
}
