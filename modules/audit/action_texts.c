/* The vi/en texts of audited actions (contract in action_texts.h). One row per action and, where the same action
 * reads differently by who did it, per actor kind ("official" viewed your dossier; "citizen": the grantee of one of
 * your mandates did). The action names are those the modules write (the cong_audit calls of every module). */
#include "action_texts.h"

#include <stdio.h>
#include <string.h>

static const audit_action_text_t texts[] = {
    {"admin.official_add", NULL, "Quản trị viên đã giao cho bạn vai trò cán bộ tiếp nhận hồ sơ",
     "An administrator made you an official of a unit's desk"},
    {"admin.official_remove", NULL, "Quản trị viên đã thu hồi vai trò cán bộ của bạn",
     "An administrator removed your official role"},
    {"auth.login", NULL, "Đăng nhập bằng VNeID", "Signed in with VNeID"},
    {"auth.session_revoke", NULL, "Một phiên đăng nhập của bạn đã bị kết thúc", "One of your sessions was ended"},
    {"auth.step_up", NULL, "Xác thực lại ở mức độ 2", "Confirmed identity at level 2"},
    {"dossier.approve", NULL, "Cán bộ đã phê duyệt hồ sơ của bạn", "An official approved your dossier"},
    {"dossier.complete", NULL, "Cán bộ đã hoàn thành hồ sơ của bạn", "An official completed your dossier"},
    {"dossier.issue_result", NULL, "Cán bộ đã trả kết quả hồ sơ của bạn", "An official issued your dossier's result"},
    {"dossier.list", "official", "Hồ sơ của bạn hiện trong danh sách của cán bộ tiếp nhận",
     "Your dossier appeared in an official's desk list"},
    {"dossier.list", NULL, "Người được bạn ủy quyền đã xem danh sách hồ sơ của bạn",
     "Someone you authorized listed your dossiers"},
    {"dossier.process", NULL, "Cán bộ đã bắt đầu xử lý hồ sơ của bạn", "An official started processing your dossier"},
    {"dossier.receive", NULL, "Cán bộ đã tiếp nhận hồ sơ của bạn", "An official received your dossier"},
    {"dossier.reject", NULL, "Cán bộ đã từ chối hồ sơ của bạn", "An official rejected your dossier"},
    {"dossier.request_supplement", NULL, "Cán bộ đã yêu cầu bổ sung hồ sơ của bạn",
     "An official asked for more documents for your dossier"},
    {"dossier.result", NULL, "Người được bạn ủy quyền đã nhận kết quả hồ sơ của bạn",
     "Someone you authorized collected your dossier's result"},
    {"dossier.view", "official", "Cán bộ đã xem hồ sơ của bạn", "An official viewed your dossier"},
    {"dossier.view", NULL, "Người được bạn ủy quyền đã xem hồ sơ của bạn", "Someone you authorized viewed your dossier"},
    {"mandate.accept", NULL, "Người được ủy quyền đã nhận ủy quyền của bạn", "Your grantee accepted your mandate"},
    {"mandate.accept_failed", NULL, "Có người nhập sai mã xác nhận ủy quyền của bạn",
     "A wrong acceptance code was entered for your mandate"},
    {"mandate.create", NULL, "Một ủy quyền được tạo", "A mandate was created"},
    {"mandate.decline", NULL, "Người được ủy quyền đã từ chối ủy quyền của bạn", "Your grantee declined your mandate"},
    {"mandate.exchange", NULL, "Người được ủy quyền đã bắt đầu thao tác thay bạn",
     "Your grantee started acting for you"},
    {"mandate.expire", NULL, "Một ủy quyền đã hết hạn", "A mandate expired"},
    {"mandate.renounce", NULL, "Người được ủy quyền đã thôi nhận ủy quyền của bạn", "Your grantee renounced your mandate"},
    {"mandate.use", NULL, "Người được ủy quyền đã dùng ủy quyền của bạn", "Your grantee used your mandate"},
    {"mandate.withdraw", NULL, "Ủy quyền đã bị thu hồi", "A mandate was withdrawn"},
    {"org.activate", NULL, "Quản trị viên đã cho tổ chức bạn đại diện hoạt động trở lại",
     "An administrator reactivated an organization you represent"},
    {"org.create", NULL, "Quản trị viên đã đăng ký một tổ chức do bạn làm người đại diện theo pháp luật",
     "An administrator registered an organization with you as its legal representative"},
    {"org.login_refused", NULL,
     "Có người đăng nhập tài khoản VNeID của một tổ chức do bạn đại diện nhưng không phải người đại diện đã đăng ký; "
     "đã bị từ chối",
     "Someone other than you, its registered representative, signed in to the VNeID account of an organization you "
     "represent; refused"},
    {"org.suspend", NULL, "Quản trị viên đã tạm ngừng tổ chức bạn đại diện",
     "An administrator suspended an organization you represent"},
    {"partner.read", NULL, "Một dịch vụ đối tác đã đọc dữ liệu của bạn", "A partner service read your data"},
    {"wallet.list", NULL, "Người được bạn ủy quyền đã xem kho giấy tờ của bạn",
     "Someone you authorized listed your documents"},
};

const audit_action_text_t *audit_action_text(const char *action, const char *actor_kind)
{
    const audit_action_text_t *any = NULL;
    for (size_t i = 0; action != NULL && i < sizeof texts / sizeof texts[0]; i++) {
        if (strcmp(texts[i].action, action) != 0)
            continue;
        if (texts[i].actor_kind == NULL)
            any = any != NULL ? any : &texts[i];
        else if (actor_kind != NULL && strcmp(texts[i].actor_kind, actor_kind) == 0)
            return &texts[i];
    }
    return any;
}

void audit_action_generic(const char *action, char *vi, size_t vi_size, char *en, size_t en_size)
{
    snprintf(vi, vi_size, "Một thao tác trên dữ liệu của bạn (%s)", action != NULL ? action : "");
    snprintf(en, en_size, "An action on your data (%s)", action != NULL ? action : "");
}
