#include "problem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

static const cong_problem_kind_t catalog[] = {
    {"bad-request", 400, "Yêu cầu không hợp lệ", "Bad request", "Yêu cầu không đúng định dạng.",
     "The request is malformed."},
    {"invalid-path", 400, "Đường dẫn không hợp lệ", "Invalid path",
     "Đường dẫn chứa đoạn không được phép hoặc mã hoá sai.", "The path has a forbidden segment or bad encoding."},
    {"invalid-json", 400, "JSON không hợp lệ", "Invalid JSON", "Nội dung gửi lên không phải JSON hợp lệ.",
     "The request body is not valid JSON."},
    {"connection-specific-header", 400, "Trường tiêu đề chỉ dành cho HTTP/1.1", "Connection-specific header field",
     "Yêu cầu HTTP/2 không được mang Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade hay TE khác "
     "\"trailers\".",
     "An HTTP/2 request must not carry Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, or a TE "
     "other than \"trailers\"."},
    {"unauthorized", 401, "Cần xác thực", "Authentication required",
     "Vui lòng đăng nhập và gửi kèm mã truy cập (Bearer).", "Send a valid bearer access token."},
    {"invalid-token", 401, "Mã truy cập không hợp lệ", "Invalid access token",
     "Mã truy cập không hợp lệ hoặc đã hết hạn.", "The access token is invalid or has expired."},
    {"invalid-client", 401, "Ứng dụng không hợp lệ", "Invalid client", "Sai mã ứng dụng hoặc khoá bí mật.",
     "Unknown client or wrong secret."},
    {"invalid-scope", 400, "Phạm vi quyền không hợp lệ", "Invalid scope",
     "Ứng dụng không được cấp phạm vi quyền này.", "The client is not granted this scope."},
    {"unsupported-grant-type", 400, "Kiểu cấp quyền không được hỗ trợ", "Unsupported grant type",
     "Kiểu cấp quyền này không được hỗ trợ.", "This grant type is not supported."},
    {"step-up-required", 401, "Cần xác thực mức cao hơn", "Stronger authentication required",
     "Thao tác này cần đăng nhập VNeID mức 2.", "This operation needs VNeID level 2 authentication."},
    {"insufficient-scope", 403, "Không đủ quyền", "Insufficient scope",
     "Mã truy cập không có quyền cần thiết cho thao tác này.", "The access token lacks a scope this operation needs."},
    {"forbidden", 403, "Không được phép", "Forbidden", "Bạn không có quyền thực hiện thao tác này.",
     "You are not allowed to do this."},
    {"mandate-does-not-cover", 403, "Ủy quyền không bao gồm thao tác này", "Mandate does not cover this",
     "Văn bản ủy quyền không bao gồm thao tác, thủ tục hoặc thời điểm này.",
     "The mandate does not include this action, procedure or time."},
    {"mandate-not-active", 403, "Ủy quyền không còn hiệu lực", "Mandate not active",
     "Văn bản ủy quyền đã bị thu hồi, từ chối, hết hạn hoặc chưa có hiệu lực.",
     "The mandate has been withdrawn, declined, has expired or is not yet valid."},
    {"mandate-used-up", 403, "Ủy quyền đã dùng hết số lần", "Mandate used up",
     "Văn bản ủy quyền đã được dùng hết số lần cho phép.", "The mandate has no uses left."},
    {"invalid-acceptance-code", 403, "Mã xác nhận không đúng", "Wrong acceptance code",
     "Mã xác nhận ủy quyền không đúng. Hãy hỏi lại người ủy quyền.",
     "The mandate's acceptance code is wrong. Ask the grantor for it again."},
    {"invalid-grant", 400, "Yêu cầu cấp quyền không hợp lệ", "Invalid grant",
     "Mã hoặc văn bản ủy quyền dùng để đổi mã truy cập không hợp lệ.",
     "The token or mandate given for the exchange is not valid."},
    {"cors-origin-denied", 403, "Nguồn gốc không được phép", "Origin not allowed",
     "Trang web gọi đến không nằm trong danh sách cho phép.", "The calling origin is not on the allow-list."},
    {"not-found", 404, "Không tìm thấy", "Not found", "Không có tài nguyên tại đường dẫn này.",
     "There is nothing at this path."},
    {"method-not-allowed", 405, "Phương thức không được hỗ trợ", "Method not allowed",
     "Đường dẫn này không hỗ trợ phương thức đã dùng.", "This path does not support the method used."},
    {"idempotency-key-required", 400, "Thiếu khoá chống gửi trùng", "Idempotency key required",
     "Thao tác này cần tiêu đề Idempotency-Key.", "This operation needs an Idempotency-Key header."},
    {"invalid-transition", 409, "Không thể chuyển trạng thái", "Transition not allowed",
     "Thao tác này không được phép ở trạng thái hiện tại của hồ sơ.",
     "This action is not allowed in the dossier's current status."},
    {"payment-required", 409, "Hồ sơ chưa nộp phí", "Fee not paid",
     "Hồ sơ chưa được nộp phí, lệ phí; thao tác này chờ đến khi thanh toán xong.",
     "The dossier's fee has not been paid; this action waits until it is."},
    {"conflict", 409, "Xung đột trạng thái", "Conflict", "Thao tác không phù hợp với trạng thái hiện tại.",
     "The operation conflicts with the current state."},
    /* payments: refunds (modules/payments/refunds.c) */
    {"payment-not-refundable", 409, "Khoản thanh toán không thể hoàn tiền", "Payment not refundable",
     "Chỉ hoàn tiền được cho khoản thanh toán đã thành công.", "Only a successful payment can be refunded."},
    {"refund-amount-available-mismatch", 412, "Số tiền còn có thể hoàn đã thay đổi",
     "Refund amount available mismatch",
     "refund_amount_available không khớp với số tiền còn có thể hoàn lúc này; hãy đọc lại rồi gửi lại.",
     "refund_amount_available does not match what is refundable now; read it again, then retry."},
    {"payload-too-large", 413, "Nội dung quá lớn", "Content too large",
     "Nội dung gửi lên vượt quá giới hạn cho phép.", "The request body is over the allowed size."},
    {"unsupported-media-type", 415, "Kiểu nội dung không được hỗ trợ", "Unsupported media type",
     "Kiểu nội dung gửi lên không được chấp nhận.", "The request's content type is not accepted."},
    {"validation-failed", 422, "Dữ liệu không hợp lệ", "Validation failed", "Một số trường không hợp lệ.",
     "Some fields are invalid."},
    {"idempotency-key-reused", 422, "Khoá chống gửi trùng đã dùng cho yêu cầu khác", "Idempotency key reused",
     "Khoá Idempotency-Key này đã được dùng với một nội dung khác.",
     "This Idempotency-Key was already used with a different request."},
    {"refund-exceeds-available", 422, "Số tiền hoàn vượt quá số còn lại", "Refund exceeds the amount available",
     "Số tiền hoàn lớn hơn số tiền còn có thể hoàn của khoản thanh toán.",
     "The refund is larger than what is still refundable on the payment."},
    {"rate-limited", 429, "Quá nhiều yêu cầu", "Too many requests", "Vui lòng thử lại sau ít phút.",
     "Please retry later."},
    {"upload-quota-exceeded", 429, "Đã hết hạn mức tải lên trong ngày", "Daily upload quota exceeded",
     "Bạn đã tải lên đủ số tệp hoặc dung lượng cho phép trong hôm nay; hạn mức mới bắt đầu từ 0 giờ.",
     "You have uploaded as many files or bytes as allowed today; the quota starts again at midnight (Hanoi)."},
    {"headers-too-large", 431, "Phần đầu yêu cầu quá lớn", "Request header fields too large",
     "Phần đầu (header) của yêu cầu vượt quá giới hạn.", "The request headers are over the allowed size."},
    {"internal-error", 500, "Lỗi hệ thống", "Internal error",
     "Đã có lỗi phía hệ thống. Vui lòng thử lại; nếu lỗi lặp lại, hãy báo mã yêu cầu.",
     "Something went wrong on our side. Retry; if it persists, quote the request id."},
    {"method-not-implemented", 501, "Cổng không hỗ trợ phương thức này", "Method not implemented",
     "Cổng không hỗ trợ phương thức HTTP này.", "The gateway does not support this HTTP method."},
    {"service-unavailable", 503, "Dịch vụ tạm thời gián đoạn", "Service temporarily unavailable",
     "Hệ thống đang tạm gián đoạn. Vui lòng thử lại sau.", "The service is temporarily unavailable. Retry later."},
    /* the PostgreSQL pool is saturated: no connection within postgres.queue_wait_ms (gateway/stores/postgres.h);
     * nothing of the request was written, it may be sent again as it is after Retry-After */
    {"database-busy", 503, "Hệ thống đang quá tải", "The service is busy",
     "Hệ thống đang xử lý nhiều yêu cầu; yêu cầu của bạn chưa được ghi. Vui lòng gửi lại sau ít giây.",
     "The service is handling many requests; yours was not recorded. Send it again in a moment."},
    /* modules/queue */
    {"queue-limit-reached", 429, "Đã lấy đủ số thứ tự trong ngày", "Daily queue numbers used up",
     "Bạn đã lấy đủ số thứ tự cho phép trong ngày; hạn mức mới bắt đầu từ ngày mới.",
     "You have taken as many queue numbers as allowed today; it starts again with the next day."},
    {"queue-closed", 409, "Đơn vị không phát số thứ tự hôm nay", "No queue numbers today",
     "Hôm nay là ngày nghỉ của đơn vị.", "Today is a day off for the unit."},
    {"queue-empty", 409, "Không còn số nào đang chờ", "Nobody is waiting",
     "Không có số thứ tự nào đang chờ được gọi.", "No queue number is waiting to be called."},
    {"queue-ticket-not-waiting", 409, "Số thứ tự không còn đang chờ", "Queue ticket no longer waiting",
     "Số thứ tự này đã được gọi, đã xử lý hoặc đã hủy nên không thể hủy.",
     "This queue ticket was called, dealt with or cancelled already, so it cannot be cancelled."},
    /* modules/push */
    {"session-required", 403, "Cần phiên đăng nhập", "Session required",
     "Thao tác này cần một phiên đăng nhập của người dùng trên thiết bị.",
     "This needs a person's signed-in session on a device; the token has none."},
    /* modules/procedures, modules/payments: who may have dossiers and apply (applicant.c; issue 18) */
    {"applicant-not-allowed", 403, "Người nộp không phù hợp", "Applicant not allowed",
     "Thủ tục hoặc thao tác này không dành cho loại người nộp này (công dân, tổ chức).",
     "This procedure or operation is not open to this kind of applicant (citizen, organization)."},
    /* modules/feedback */
    {"dossier-not-finished", 409, "Hồ sơ chưa giải quyết xong", "Dossier not finished",
     "Chỉ đánh giá được hồ sơ đã có kết quả.", "Only a dossier whose result has been issued can be rated."},
    {"feedback-already-given", 409, "Hồ sơ đã được đánh giá", "Feedback already given",
     "Mỗi hồ sơ chỉ được đánh giá một lần.", "A dossier can be rated once only."},
    {"feedback-limit-reached", 429, "Đã đánh giá đơn vị trong tuần", "Weekly feedback used up",
     "Bạn đã đánh giá đơn vị này đủ số lần cho phép trong tuần; hạn mức mới bắt đầu từ tuần sau.",
     "You have rated this unit as often as allowed this week; it starts again next week."},
    /* modules/appointments */
    {"slot-full", 409, "Khung giờ đã hết chỗ", "The slot is full",
     "Khung giờ này đã hết chỗ. Vui lòng chọn khung giờ khác.", "Every seat of this slot is taken. Choose another."},
    {"appointment-limit-reached", 409, "Đã đạt số lịch hẹn tối đa", "Appointment limit reached",
     "Bạn đã có đủ số lịch hẹn cho phép (theo lĩnh vực hoặc trong ngày); hủy một lịch để đặt lịch mới.",
     "You have as many appointments as allowed (in this domain or on this day); cancel one to book another."},
    {"hold-expired", 409, "Lượt giữ chỗ đã hết hạn", "The hold has expired",
     "Lượt giữ chỗ đã hết hạn trước khi được xác nhận; chỗ đã được trả lại. Vui lòng đặt lại.",
     "The hold expired before it was confirmed and its seat was given back. Book again."},
    /* modules/orgs, modules/mandates, modules/identity: organizations (issue 18) */
    {"not-representative", 403, "Không phải người đại diện theo pháp luật", "Not the legal representative",
     "Chỉ người đại diện theo pháp luật hiện tại của tổ chức mới được thực hiện thao tác này cho tổ chức.",
     "Only the organization's current legal representative may do this for it."},
    {"organization-suspended", 403, "Tổ chức đang bị tạm dừng", "Organization suspended",
     "Tổ chức này đang bị tạm dừng trên cổng; không thể thực hiện thao tác cho tổ chức.",
     "The organization is suspended on cong; nothing can be done for it now."},
    {"organization-representative-mismatch", 403, "Người đại diện không khớp", "Representative mismatch",
     "Tài khoản tổ chức VNeID này có người đại diện khác với người đại diện đã đăng ký trên cổng. Liên hệ bộ phận "
     "hỗ trợ để cập nhật người đại diện.",
     "This VNeID organization account names another legal representative than the one registered on cong. Contact "
     "support to have the representative changed."},
    /* partners' upstreams (gateway/upstream/proxy.c) */
    {"upstream-failed", 502, "Dịch vụ đối tác không phản hồi đúng", "Partner service failed",
     "Không kết nối được hoặc không nhận được câu trả lời hợp lệ từ dịch vụ của đối tác. Vui lòng thử lại sau.",
     "The partner's service could not be reached or gave no valid answer. Retry later."},
    {"upstream-unavailable", 503, "Dịch vụ đối tác đang quá tải", "Partner service unavailable",
     "Dịch vụ của đối tác đang nhận quá nhiều yêu cầu hoặc không có máy chủ nào sẵn sàng. Vui lòng thử lại sau.",
     "The partner's service is at its limit or has no healthy server. Retry later."},
    {"upstream-timeout", 504, "Dịch vụ đối tác trả lời quá chậm", "Partner service timed out",
     "Dịch vụ của đối tác không trả lời kịp thời hạn. Vui lòng thử lại sau.",
     "The partner's service did not answer within the deadline. Retry later."},
    {"provider-unavailable", 503, "Kênh thanh toán không khả dụng", "Payment provider unavailable",
     "Kênh thanh toán này hiện không được cung cấp. Vui lòng chọn kênh khác hoặc thử lại sau.",
     "This payment provider is not offered now. Choose another or retry later."},
};

const cong_problem_kind_t *cong_problem_find(const char *slug)
{
    for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++)
        if (strcmp(catalog[i].slug, slug) == 0)
            return &catalog[i];
    return NULL;
}

int cong_problem_slug_valid(const char *slug)
{
    size_t n = 0;
    for (; slug[n] != '\0'; n++)
        if (!((slug[n] >= 'a' && slug[n] <= 'z') || (slug[n] >= '0' && slug[n] <= '9') || slug[n] == '-'))
            return 0;
    return n > 0 && n <= 64;
}

/* q-value of one Accept-Language item's parameters (";q=0.5"); 1.0 when absent, 0 when malformed. */
static double item_quality(const char *params, size_t len)
{
    const char *q = memmem(params, len, "q=", 2);
    if (q == NULL)
        return 1.0;
    char buf[8] = {0};
    size_t n = (size_t)(params + len - (q + 2));
    memcpy(buf, q + 2, n < sizeof buf - 1 ? n : sizeof buf - 1);
    return strtod(buf, NULL);
}

int cong_lang_prefers_en(const char *value, size_t len)
{
    double best_vi = -1, best_en = -1;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && value[i] != ',')
            i++;
        const char *item = value + start;
        size_t item_len = i - start;
        i++; /* skip ',' */
        while (item_len > 0 && (*item == ' ' || *item == '\t')) {
            item++;
            item_len--;
        }
        const char *semi = memchr(item, ';', item_len);
        size_t tag_len = semi ? (size_t)(semi - item) : item_len;
        double q = semi ? item_quality(semi + 1, item_len - tag_len - 1) : 1.0;
        if (tag_len >= 2 && strncasecmp(item, "vi", 2) == 0 && (tag_len == 2 || item[2] == '-'))
            best_vi = q > best_vi ? q : best_vi;
        else if (tag_len >= 2 && strncasecmp(item, "en", 2) == 0 && (tag_len == 2 || item[2] == '-'))
            best_en = q > best_en ? q : best_en;
    }
    return best_en > 0 && best_en > best_vi;
}

int cong_reply_problem(cong_req_t *r, int status, const char *slug, const char *detail_vi, const char *detail_en,
                       int retry_after_s)
{
    return cong_reply_problem_ext(r, status, slug, detail_vi, detail_en, retry_after_s, NULL);
}

static int standard_member(const char *name)
{
    static const char *const names[] = {"type", "title", "status", "detail", "instance"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static int retry_after_unless_set(const cong_req_t *r, int status)
{
    if (h2o_find_header(&r->h2o->res.headers, H2O_TOKEN_RETRY_AFTER, -1) != -1)
        return 0;
    return status == 503 ? 2 : status == 429 ? 1 : 0;
}

int cong_reply_problem_ext(cong_req_t *r, int status, const char *slug, const char *detail_vi, const char *detail_en,
                           int retry_after_s, json_t *extensions)
{
    int rc = cong_reply_allowed(r);
    if (rc != 0) {
        json_decref(extensions);
        return rc;
    }
    if (retry_after_s == CONG_RETRY_AFTER_UNLESS_SET)
        retry_after_s = retry_after_unless_set(r, status);
    const cong_problem_kind_t *kind = cong_problem_find(slug);
    if (kind == NULL && !cong_problem_slug_valid(slug)) {
        kind = cong_problem_find("internal-error");
        slug = kind->slug;
        status = 500;
        detail_vi = detail_en = NULL;
    }
    const char *title = kind ? (r->lang_en ? kind->title_en : kind->title_vi) : (r->lang_en ? "Error" : "Lỗi");
    const char *detail = r->lang_en ? (detail_en ? detail_en : kind ? kind->detail_en : NULL)
                                    : (detail_vi ? detail_vi : kind ? kind->detail_vi : NULL);
    char type[512];
    snprintf(type, sizeof type, "%s%s", r->worker->gateway->config->server.problem_base_uri, slug);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status, "instance", r->id);
    if (body == NULL) {
        json_decref(extensions);
        return CONG_ENOMEM;
    }
    if (json_is_object(extensions)) {
        const char *name;
        json_t *value;
        json_object_foreach(extensions, name, value)
            if (!standard_member(name))
                json_object_set(body, name, value);
    }
    json_decref(extensions);
    if (detail != NULL)
        json_object_set_new(body, "detail", json_string(detail));
    if (retry_after_s > 0 && (status == 503 || status == 429)) {
        char seconds[16];
        int n = snprintf(seconds, sizeof seconds, "%d", retry_after_s);
        cong_reply_add_header_unguarded(r, H2O_STRLIT("retry-after"), seconds, (size_t)n);
    }
    cong_reply_add_header_unguarded(r, H2O_STRLIT("content-language"), r->lang_en ? "en" : "vi", 2);
    return cong_reply_json_unguarded(r, status, "application/problem+json", body);
}
