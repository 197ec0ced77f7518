/* One outbound HTTP call (gateway/http_call.c, module ABI 1.4): a module's definition is checked before anything is
 * made — every bad one is CONG_EINVAL synchronously and leaves nothing allocated (the ASan build's leak check sees
 * it); the response accessors find headers in any case and give "" for an empty body; the job thread's blocking call
 * maps a refused connection to CONG_EUNAVAILABLE. The end-to-end behaviour (TLS, mTLS, HTTP/2, deadlines, limits,
 * cancellation) is tests/integration/test_http_client.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "gateway/outbound/http_call.h"

static cong_http_request_t good(void)
{
    return (cong_http_request_t){.size = sizeof(cong_http_request_t), .url = "https://partner.example/v1/x",
                                 .timeout_ms = 1000};
}

static int init_rc(const cong_http_request_t *def)
{
    cong_http_transfer_t t = {0};
    int rc = cong_http_transfer_init(&t, def);
    if (rc == 0)
        cong_http_transfer_cleanup(&t);
    assert_null(t.easy); /* nothing left behind either way */
    return rc;
}

static void test_good_definitions(void **state)
{
    (void)state;
    cong_http_request_t def = good();
    assert_int_equal(init_rc(&def), 0);
    const char *headers[] = {"Authorization: Bearer x", "X-Empty:", NULL};
    def = good();
    def.method = "POST", def.body = "{}", def.body_len = 2, def.headers = headers, def.http_version = CONG_HTTP_1_1;
    def.connect_timeout_ms = 500, def.max_response_bytes = 10;
    assert_int_equal(init_rc(&def), 0);
    def = good();
    def.url = "HTTP://127.0.0.1:1/", def.method = "DELETE", def.http_version = CONG_HTTP_2_PRIOR_KNOWLEDGE;
    assert_int_equal(init_rc(&def), 0);
}

static void test_bad_definitions(void **state)
{
    (void)state;
    assert_int_equal(init_rc(NULL), CONG_EINVAL);
    cong_http_request_t def = good();
    def.size = offsetof(cong_http_request_t, ca_file); /* a module built before the whole struct existed */
    assert_int_equal(init_rc(&def), CONG_EINVAL);
#define BAD(field, value)                                                                                              \
    do {                                                                                                               \
        def = good();                                                                                                  \
        def.field = value;                                                                                             \
        assert_int_equal(init_rc(&def), CONG_EINVAL);                                                                  \
    } while (0)
    BAD(url, NULL);
    BAD(url, "ftp://partner.example/");
    BAD(url, "file:///etc/passwd");
    BAD(url, "https://partner.example/a b");
    BAD(url, "https://partner.example/\r\nX: y");
    BAD(method, "get");
    BAD(method, "");
    BAD(method, "GET\r\n");
    BAD(timeout_ms, 0);
    BAD(timeout_ms, CONG_HTTP_MAX_TIMEOUT_MS + 1);
    BAD(connect_timeout_ms, 2000); /* past the whole call's deadline */
    BAD(connect_timeout_ms, -1);
    BAD(max_response_bytes, -1);
    BAD(max_response_bytes, CONG_HTTP_MAX_RESPONSE + 1);
    BAD(http_version, 3);
    BAD(body_len, 3);                           /* no body */
    BAD(client_key_file, "/etc/hostname");      /* a key without its certificate */
    BAD(ca_file, "/nonexistent/ca.pem");
    BAD(client_cert_file, "/nonexistent/c.pem");
    const char *no_colon[] = {"Authorization Bearer x", NULL};
    const char *crlf[] = {"X-A: b\r\nX-B: c", NULL};
    const char *bad_name[] = {"X A: b", NULL};
    const char *empty_name[] = {": b", NULL};
    BAD(headers, no_colon);
    BAD(headers, crlf);
    BAD(headers, bad_name);
    BAD(headers, empty_name);
    const char *many[CONG_HTTP_MAX_REQUEST_HEADERS + 2];
    for (int i = 0; i <= CONG_HTTP_MAX_REQUEST_HEADERS; i++)
        many[i] = "X-A: b";
    many[CONG_HTTP_MAX_REQUEST_HEADERS + 1] = NULL;
    BAD(headers, many);
#undef BAD
}

static void test_response_accessors(void **state)
{
    (void)state;
    char headers[] = "content-type\0application/json\0x-test\0one\0x-test\0two\0";
    struct cong_http_response res = {.status = 201, .version = 20, .headers = headers,
                                     .headers_len = sizeof headers - 1};
    size_t len = 0;
    assert_int_equal(cong_http_response_status(&res), 201);
    assert_int_equal(cong_http_response_version(&res), 20);
    assert_string_equal(cong_http_response_header(&res, "Content-Type", &len), "application/json");
    assert_int_equal(len, 16);
    assert_string_equal(cong_http_response_header(&res, "X-TEST", NULL), "one"); /* the first one */
    assert_null(cong_http_response_header(&res, "x-missing", NULL));
    assert_null(cong_http_response_header(&res, "x-tes", NULL));
    assert_string_equal(cong_http_response_body(&res, &len), "");
    assert_int_equal(len, 0);
}

/* A port nobody listens on (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_job_call(void **state)
{
    (void)state;
    cong_http_response_t *res = (cong_http_response_t *)1;
    cong_http_request_t def = good();
    assert_int_equal(cong_job_http_request(NULL, &def, &res), CONG_EINVAL);
    cong_job_t *job = (cong_job_t *)&def; /* the call only needs a job thread's handle, not its contents */
    def.url = "gopher://x/";
    assert_int_equal(cong_job_http_request(job, &def, &res), CONG_EINVAL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", closed_port());
    def = good();
    def.url = url;
    assert_int_equal(cong_job_http_request(job, &def, &res), CONG_EUNAVAILABLE);
    cong_job_http_response_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_definitions),
        cmocka_unit_test(test_bad_definitions),
        cmocka_unit_test(test_response_accessors),
        cmocka_unit_test(test_job_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
