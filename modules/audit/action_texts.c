/* The vi/en texts of audited actions (contract in action_texts.h). Sorted by action for the reader, not the code. */
#include "action_texts.h"

#include <stdio.h>
#include <string.h>

static const audit_action_text_t texts[] = {
    {"admin.command", "Quản trị viên đã thực hiện một lệnh liên quan đến dữ liệu của bạn",
     "An administrator ran a command concerning your data"},
    {"auth.login", "Đăng nhập bằng VNeID", "Signed in with VNeID"},
    {"auth.step_up", "Xác thực lại ở mức độ 2", "Confirmed identity at level 2"},
    {"client.change", "Một ứng dụng đối tác được thay đổi", "A partner application was changed"},
    {"dossier.accept", "Cán bộ đã tiếp nhận hồ sơ của bạn", "An official accepted your dossier"},
    {"dossier.complete", "Cán bộ đã hoàn thành hồ sơ của bạn", "An official completed your dossier"},
    {"dossier.reject", "Cán bộ đã từ chối hồ sơ của bạn", "An official rejected your dossier"},
    {"dossier.request_changes", "Cán bộ đã yêu cầu bổ sung hồ sơ của bạn",
     "An official asked for changes to your dossier"},
    {"dossier.submit", "Hồ sơ được nộp thay bạn", "A dossier was submitted on your behalf"},
    {"dossier.view", "Cán bộ đã xem hồ sơ của bạn", "An official viewed your dossier"},
    {"mandate.accept", "Người được ủy quyền đã nhận ủy quyền của bạn", "Your grantee accepted your mandate"},
    {"mandate.create", "Một ủy quyền được tạo", "A mandate was created"},
    {"mandate.decline", "Người được ủy quyền đã từ chối ủy quyền của bạn", "Your grantee declined your mandate"},
    {"mandate.renounce", "Người được ủy quyền đã thôi nhận ủy quyền của bạn", "Your grantee renounced your mandate"},
    {"mandate.use", "Người được ủy quyền đã dùng ủy quyền của bạn", "Your grantee used your mandate"},
    {"mandate.withdraw", "Ủy quyền đã bị thu hồi", "A mandate was withdrawn"},
    {"partner.read", "Một dịch vụ đối tác đã đọc dữ liệu của bạn", "A partner service read your data"},
    {"payment.create", "Một khoản thanh toán được tạo thay bạn", "A payment was made on your behalf"},
    {"result.issue", "Kết quả hồ sơ của bạn đã được cấp", "The result of your dossier was issued"},
    {"session.revoke", "Một phiên đăng nhập của bạn đã bị kết thúc", "One of your sessions was ended"},
};

const audit_action_text_t *audit_action_text(const char *action)
{
    for (size_t i = 0; action != NULL && i < sizeof texts / sizeof texts[0]; i++)
        if (strcmp(texts[i].action, action) == 0)
            return &texts[i];
    return NULL;
}

void audit_action_generic(const char *action, char *vi, size_t vi_size, char *en, size_t en_size)
{
    snprintf(vi, vi_size, "Một thao tác trên dữ liệu của bạn (%s)", action != NULL ? action : "");
    snprintf(en, en_size, "An action on your data (%s)", action != NULL ? action : "");
}
