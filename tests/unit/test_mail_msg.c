/*
 * Unit tests for reports/mail_msg.c (the e-mail of a scheduled report) and
 * hash_hmac_sha256 (the webhook signature): CRLF line ends, an encoded
 * subject in Chinese, the body's content, refused addresses, and RFC 4231
 * test case 2 for HMAC-SHA256.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "hash.h"
#include "mail_msg.h"
#include "status.h"

static const mail_report_t report = {
    "ACME Insurance",
    "2026-10",
    "client-monthly",
    2,
    "ab12",
    "cd34",
    "https://reports.example/v1/tenants/acme/reports/7",
    "monthly",
    NULL,
};

/* Every line ends CRLF: no bare LF and no bare CR. */
static void assert_crlf_only(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            assert_true(p > s && p[-1] == '\r');
        if (*p == '\r')
            assert_int_equal(p[1], '\n');
    }
    size_t n = strlen(s);
    assert_true(n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n');
}

/* The decoded base64 body after the blank line (caller's buffer). */
static void decode_body(const char *msg, char *out, size_t outlen)
{
    const char *b = strstr(msg, "\r\n\r\n");
    assert_non_null(b);
    char joined[8192] = "";
    size_t n = 0;
    for (const char *p = b + 4; *p && n < sizeof joined - 1; p++)
        if (*p != '\r' && *p != '\n')
            joined[n++] = *p;
    assert_true(n / 4 * 3 < outlen);
    int len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)joined, (int)n);
    assert_true(len > 0);
    out[len] = '\0';
}

static void test_english(void **state)
{
    (void)state;
    buf_t m;
    buf_init(&m, 1 << 20);
    /* 1796047200 = 2026-11-30T14:00:00Z, a Monday */
    assert_int_equal(mail_compose("reports@out.example", "ops@client.example", "en", 1796047200,
                                  "d7.t1@slattest", &report, &m),
                     ST_OK);
    const char *s = buf_cstr(&m);
    assert_crlf_only(s);
    assert_non_null(strstr(s, "Date: Mon, 30 Nov 2026 14:00:00 +0000\r\n"));
    assert_non_null(strstr(s, "From: <reports@out.example>\r\n"));
    assert_non_null(strstr(s, "To: <ops@client.example>\r\n"));
    assert_non_null(strstr(s, "Subject: SLA report ACME Insurance 2026-10 (client-monthly)\r\n"));
    assert_non_null(strstr(s, "Content-Language: en\r\n"));
    char body[4096];
    decode_body(s, body, sizeof body);
    assert_non_null(strstr(body, "https://reports.example/v1/tenants/acme/reports/7\r\n"));
    assert_non_null(strstr(body, "(version 2)"));
    assert_non_null(strstr(body, "Workbook SHA-256:\r\nab12\r\n"));
    assert_non_null(strstr(body, "fingerprint:\r\ncd34\r\n"));
    assert_crlf_only(body);
    buf_free(&m);
}

static void test_chinese(void **state)
{
    (void)state;
    buf_t m;
    buf_init(&m, 1 << 20);
    assert_int_equal(
        mail_compose("reports@out.example", "ops@client.example", "zh", 0, "x@y", &report, &m),
        ST_OK);
    const char *s = buf_cstr(&m);
    assert_crlf_only(s);
    assert_non_null(strstr(s, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    /* "SLA 报告 ACME Insurance 2026-10（client-monthly）" is 53 bytes: two
     * encoded words, split after 45 bytes (worked with Python base64) */
    assert_non_null(strstr(
        s, "Subject: =?UTF-8?B?U0xBIOaKpeWRiiBBQ01FIEluc3VyYW5jZSAyMDI2LTEw77yIY2xpZW50LW1v?=\r\n"
           " =?UTF-8?B?bnRobHnvvIk=?=\r\n"));
    char body[4096];
    decode_body(s, body, sizeof body);
    assert_non_null(strstr(body, "您好："));
    assert_non_null(strstr(body, "第 2 版"));
    assert_non_null(strstr(body, report.link));
    buf_free(&m);
}

static void test_refused(void **state)
{
    (void)state;
    buf_t m;
    buf_init(&m, 1 << 20);
    assert_int_equal(
        mail_compose("a@b.example", "x@y.example\r\nBcc: z@z.example", "en", 0, "i", &report, &m),
        ST_ERR_INVALID);
    assert_false(mail_address_valid("no-at-sign.example"));
    assert_false(mail_address_valid("a@b"));
    assert_false(mail_address_valid("a@@b.example"));
    assert_false(mail_address_valid("a b@c.example"));
    assert_false(mail_address_valid("<a@c.example>"));
    assert_false(mail_address_valid("a@c.example."));
    assert_false(mail_address_valid(""));
    assert_true(mail_address_valid("ops+sla@client.example"));
    assert_true(mail_lang_known("zh"));
    assert_false(mail_lang_known("fr"));
    buf_free(&m);
}

static void test_unsubscribe_and_notices(void **state)
{
    (void)state;
    buf_t m;
    buf_init(&m, 1 << 20);
    mail_unsub_t u = {"https://r.example/unsubscribe?token=u1.ab.cd",
                      "https://r.example/v1/unsubscribe?token=u1.ab.cd"};
    mail_report_t r = report;
    r.unsub = &u;
    assert_int_equal(
        mail_compose("reports@out.example", "ops@client.example", "en", 0, "i", &r, &m), ST_OK);
    const char *s = buf_cstr(&m);
    assert_crlf_only(s);
    assert_non_null(
        strstr(s, "\r\nList-Unsubscribe: <https://r.example/v1/unsubscribe?token=u1.ab.cd>\r\n"
                  "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    char body[4096];
    decode_body(s, body, sizeof body);
    assert_non_null(strstr(body, "Version 2 replaces version 1: its Changes sheet lists"));
    assert_non_null(
        strstr(body, "e-mails to you:\r\nhttps://r.example/unsubscribe?token=u1.ab.cd\r\n"));
    /* A link with a line break would add a header: refused. */
    u.post_url = "https://r.example/x\r\nBcc: z@z.example";
    buf_reset(&m);
    assert_int_equal(mail_compose("a@b.example", "x@y.example", "en", 0, "i", &r, &m),
                     ST_ERR_INVALID);

    mail_notice_t n = {.kind = MAIL_NOTICE_STALE,
                       .tenant_name = "ACME",
                       .period = "2026-10",
                       .template_name = "client-monthly",
                       .version = 1,
                       .batches = "12, 13",
                       .link = "https://r.example/v1/tenants/acme/reports/7"};
    buf_reset(&m);
    assert_int_equal(mail_compose_notice("a@b.example", "m@acme.example", "en", 0, "n1", &n, &m),
                     ST_OK);
    s = buf_cstr(&m);
    assert_crlf_only(s);
    assert_non_null(strstr(s, "Subject: Report out of date: ACME 2026-10 (client-monthly)\r\n"));
    assert_null(strstr(s, "List-Unsubscribe"));
    decode_body(s, body, sizeof body);
    assert_non_null(strstr(body, "(version 1) is out of date: ingest batch(es) 12, 13 changed"));
    n = (mail_notice_t){.kind = MAIL_NOTICE_PAUSED,
                        .tenant_name = "ACME",
                        .schedule = "monthly",
                        .reason = "3 dead letters"};
    buf_reset(&m);
    assert_int_equal(mail_compose_notice("a@b.example", "m@acme.example", "en", 0, "n2", &n, &m),
                     ST_OK);
    s = buf_cstr(&m);
    assert_non_null(strstr(s, "Subject: Report schedule paused: monthly (ACME)\r\n"));
    decode_body(s, body, sizeof body);
    assert_non_null(strstr(body, "\"monthly\" of ACME was paused: 3 dead letters."));
    buf_free(&m);
}

/* RFC 4231, test case 2. */
static void test_hmac(void **state)
{
    (void)state;
    uint8_t mac[32];
    char hex[65];
    const char *data = "what do ya want for nothing?";
    hash_hmac_sha256("Jefe", 4, data, strlen(data), mac);
    hash_hex(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english), cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_refused), cmocka_unit_test(test_unsubscribe_and_notices),
        cmocka_unit_test(test_hmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
