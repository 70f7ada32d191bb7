/* mail_msg.c - the e-mail of a scheduled report (see mail_msg.h). */
#include "mail_msg.h"

#include <openssl/evp.h>
#include <string.h>

#include "status.h"
#include "tz.h"

/* One catalogue per language: every text a recipient reads. */
typedef struct mail_catalogue {
    const char *lang;
    const char *subject;   /* %s tenant, %s period, %s template */
    const char *greeting;  /* first line */
    const char *ready;     /* %s template, %s tenant, %s period, %d version */
    const char *sha_label; /* before the SHA-256 */
    const char *ca_label;  /* before the CA fingerprint */
    const char *verify;    /* how to check it */
    const char *why;       /* %s schedule: why this e-mail came */
} mail_catalogue_t;

static const mail_catalogue_t catalogues[] = {
    {"en", "SLA report %s %s (%s)", "Hello,", "The %s report of %s for %s (version %d) is ready:",
     "Workbook SHA-256:", "Signed under the CA with SHA-256 fingerprint:",
     "Check it with `slattest verify` or the VERIFY.txt of the report's bundle.",
     "You receive this e-mail from the report schedule \"%s\"."},
    {"zh", "SLA 报告 %s %s（%s）", "您好：", "%s 报告（%s，%s，第 %d 版）已生成：",
     "工作簿 SHA-256：", "签名所依据的 CA 证书 SHA-256 指纹：",
     "可用 `slattest verify` 或报告包中的 VERIFY.txt 验证。", "此邮件来自报告计划“%s”。"},
};

bool mail_lang_known(const char *lang)
{
    for (size_t i = 0; i < sizeof catalogues / sizeof catalogues[0]; i++)
        if (lang && strcmp(lang, catalogues[i].lang) == 0)
            return true;
    return false;
}

bool mail_address_valid(const char *addr)
{
    if (!addr)
        return false;
    size_t n = strlen(addr);
    const char *at = strchr(addr, '@');
    if (n == 0 || n > MAIL_ADDR_MAX || !at || at == addr || strchr(at + 1, '@'))
        return false;
    for (const char *p = addr; *p; p++)
        if (*p <= ' ' || *p > '~' || strchr("\"<>(),;:\\[]", *p))
            return false;
    const char *dom = at + 1, *dot = strchr(dom, '.');
    return dot && dot != dom && dom[strlen(dom) - 1] != '.' && !strstr(dom, "..");
}

/* True when s is printable ASCII only (no CR, LF or 8-bit bytes). */
static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < ' ' || *s > '~')
            return false;
    return true;
}

/* Appends n bytes as base64, in lines of at most 76 characters ending CRLF. */
static int put_base64_lines(buf_t *out, const char *s, size_t n)
{
    int rc = ST_OK;
    for (size_t i = 0; i < n && rc == ST_OK; i += 57) {
        unsigned char line[80];
        size_t k = n - i < 57 ? n - i : 57;
        int len = EVP_EncodeBlock(line, (const unsigned char *)s + i, (int)k);
        rc = buf_append(out, line, (size_t)len);
        if (rc == ST_OK)
            rc = buf_puts(out, "\r\n");
    }
    return rc;
}

/* Appends "Subject: " and the subject, as RFC 2047 encoded words when it is
 * not plain ASCII, each at most 75 characters and never splitting a UTF-8
 * character, folded onto continuation lines. */
static int put_subject(buf_t *out, const char *s)
{
    int rc = buf_puts(out, "Subject: ");
    if (rc == ST_OK && plain_ascii(s))
        return buf_printf(out, "%s\r\n", s);
    size_t n = strlen(s), i = 0;
    while (rc == ST_OK && i < n) {
        size_t k = n - i < 45 ? n - i : 45;
        while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k--; /* end on a character boundary */
        unsigned char word[64];
        int len = EVP_EncodeBlock(word, (const unsigned char *)s + i, (int)k);
        rc = buf_printf(out, "%s=?UTF-8?B?%.*s?=", i ? "\r\n " : "", len, (const char *)word);
        i += k;
    }
    return rc == ST_OK ? buf_puts(out, "\r\n") : rc;
}

/* Appends the Date header for epoch seconds t, in UTC (RFC 5322 3.3). */
static int put_date(buf_t *out, int64_t t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - d * 86400;
    int y, m, dd;
    tz_civil_from_days(d, &y, &m, &dd);
    return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tz_weekday(d)],
                      dd, months[m - 1], y, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

int mail_compose(const char *from, const char *to, const char *lang, int64_t date,
                 const char *message_id, const mail_report_t *r, buf_t *out)
{
    if (!mail_address_valid(from) || !mail_address_valid(to) || !plain_ascii(message_id))
        return ST_ERR_INVALID;
    const mail_catalogue_t *c = &catalogues[0];
    for (size_t i = 0; i < sizeof catalogues / sizeof catalogues[0]; i++)
        if (lang && strcmp(lang, catalogues[i].lang) == 0)
            c = &catalogues[i];
    buf_t subject, body;
    buf_init(&subject, 4096);
    buf_init(&body, 64 * 1024);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int rc = buf_printf(&subject, c->subject, r->tenant_name, r->period, r->template_name);
    if (rc == ST_OK)
        rc = buf_printf(&body, "%s\r\n\r\n", c->greeting);
    if (rc == ST_OK)
        rc = buf_printf(&body, c->ready, r->template_name, r->tenant_name, r->period, r->version);
    if (rc == ST_OK)
        rc = buf_printf(&body, "\r\n%s\r\n\r\n%s\r\n%s\r\n%s\r\n%s\r\n\r\n%s\r\n\r\n", r->link,
                        c->sha_label, r->sha256, c->ca_label, r->ca_fingerprint, c->verify);
    if (rc == ST_OK)
        rc = buf_printf(&body, c->why, r->schedule);
#pragma GCC diagnostic pop
    if (rc == ST_OK)
        rc = buf_puts(&body, "\r\n");
    if (rc == ST_OK)
        rc = put_date(out, date);
    if (rc == ST_OK)
        rc =
            buf_printf(out, "From: <%s>\r\nTo: <%s>\r\nMessage-ID: <%s>\r\n", from, to, message_id);
    if (rc == ST_OK)
        rc = put_subject(out, buf_cstr(&subject));
    if (rc == ST_OK)
        rc = buf_printf(out,
                        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Language: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                        c->lang);
    if (rc == ST_OK)
        rc = put_base64_lines(out, body.data ? body.data : "", body.len);
    buf_free(&subject);
    buf_free(&body);
    return rc;
}
