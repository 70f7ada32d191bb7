/* mail_msg.c - the e-mail of a scheduled report (see mail_msg.h). */
#include "mail_msg.h"

#include <openssl/evp.h>
#include <string.h>

#include "status.h"
#include "tz.h"

/* One catalogue per language: every text a recipient reads. */
typedef struct mail_catalogue {
    const char *lang;
    const char *subject;        /* %s tenant, %s period, %s template */
    const char *greeting;       /* first line */
    const char *ready;          /* %s template, %s tenant, %s period, %d version */
    const char *sha_label;      /* before the SHA-256 */
    const char *ca_label;       /* before the CA fingerprint */
    const char *verify;         /* how to check it */
    const char *why;            /* %s schedule: why this e-mail came */
    const char *unsub;          /* before the opt-out link */
    const char *changes;        /* %d version, %d the one it supersedes */
    const char *stale_subject;  /* %s tenant, %s period, %s template */
    const char *stale;          /* %s template, %s tenant, %s period, %d version, %s batches */
    const char *stale_next;     /* what happens next */
    const char *paused_subject; /* %s schedule, %s tenant */
    const char *paused;         /* %s schedule, %s tenant, %s reason */
    const char *paused_next;    /* what to do */
} mail_catalogue_t;

static const mail_catalogue_t catalogues[] = {
    {"en", "SLA report %s %s (%s)", "Hello,", "The %s report of %s for %s (version %d) is ready:",
     "Workbook SHA-256:", "Signed under the CA with SHA-256 fingerprint:",
     "Check it with `slattest verify` or the VERIFY.txt of the report's bundle.",
     "You receive this e-mail from the report schedule \"%s\".",
     "To stop this schedule's e-mails to you:",
     "Version %d replaces version %d: its Changes sheet lists the values that moved and the "
     "batches that moved them.",
     "Report out of date: %s %s (%s)",
     "The %s report of %s for %s (version %d) is out of date: ingest batch(es) %s changed the "
     "period's data after it was issued.",
     "A schedule with \"reissue_stale\": true makes and sends the next version once the grace "
     "after the last batch has passed; otherwise request the report again.",
     "Report schedule paused: %s (%s)", "The report schedule \"%s\" of %s was paused: %s.",
     "Its deliveries and their errors are in the schedule's deliveries; retry the dead ones, "
     "then PUT the schedule with \"enabled\": true to resume it."},
    {"zh", "SLA 报告 %s %s（%s）", "您好：", "%s 报告（%s，%s，第 %d 版）已生成：",
     "工作簿 SHA-256：", "签名所依据的 CA 证书 SHA-256 指纹：",
     "可用 `slattest verify` 或报告包中的 VERIFY.txt 验证。", "此邮件来自报告计划“%s”。",
     "如不想再收到此计划的邮件：",
     "第 %d 版取代第 %d 版：其“变更”工作表列出变动的数值及导致变动的批次。",
     "报告已过期：%s %s（%s）",
     "%s 报告（%s，%s，第 %d 版）已过期：发布后，导入批次 %s 修改了该期间的数据。",
     "设置了 \"reissue_stale\": true 的计划会在最后一个批次的宽限期过后生成并发送新版本；"
     "否则请重新申请该报告。",
     "报告计划已暂停：%s（%s）", "报告计划“%s”（%s）已暂停：%s。",
     "投递记录及错误见该计划的投递列表；请重试失败的投递，然后以 \"enabled\": true "
     "更新计划以恢复。"},
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

/* The catalogue of lang ("en" when unknown). */
static const mail_catalogue_t *catalogue(const char *lang)
{
    for (size_t i = 0; i < sizeof catalogues / sizeof catalogues[0]; i++)
        if (lang && strcmp(lang, catalogues[i].lang) == 0)
            return &catalogues[i];
    return &catalogues[0];
}

/* Appends the whole message: headers (with List-Unsubscribe when unsub
 * has the one-click URL), a blank line, the body in base64. */
static int put_message(const char *from, const char *to, const mail_catalogue_t *c, int64_t date,
                       const char *message_id, const mail_unsub_t *unsub, const buf_t *subject,
                       const buf_t *body, buf_t *out)
{
    int rc = put_date(out, date);
    if (rc == ST_OK)
        rc =
            buf_printf(out, "From: <%s>\r\nTo: <%s>\r\nMessage-ID: <%s>\r\n", from, to, message_id);
    if (rc == ST_OK)
        rc = put_subject(out, buf_cstr(subject));
    /* RFC 2369 and RFC 8058: a mail client's "unsubscribe" posts to it. */
    if (rc == ST_OK && unsub && unsub->post_url)
        rc = buf_printf(out,
                        "List-Unsubscribe: <%s>\r\n"
                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                        unsub->post_url);
    if (rc == ST_OK)
        rc = buf_printf(out,
                        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Language: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                        c->lang);
    if (rc == ST_OK)
        rc = put_base64_lines(out, body->data ? body->data : "", body->len);
    return rc;
}

/* True when the opt-out links can go into a message as they are. */
static bool unsub_ok(const mail_unsub_t *u)
{
    return !u || ((!u->page_url || plain_ascii(u->page_url)) &&
                  (!u->post_url || plain_ascii(u->post_url)));
}

int mail_compose(const char *from, const char *to, const char *lang, int64_t date,
                 const char *message_id, const mail_report_t *r, buf_t *out)
{
    if (!mail_address_valid(from) || !mail_address_valid(to) || !plain_ascii(message_id) ||
        !unsub_ok(r->unsub))
        return ST_ERR_INVALID;
    const mail_catalogue_t *c = catalogue(lang);
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
    if (rc == ST_OK && r->version > 1)
        rc = buf_printf(&body, c->changes, r->version, r->version - 1);
    if (rc == ST_OK && r->version > 1)
        rc = buf_puts(&body, "\r\n\r\n");
    if (rc == ST_OK)
        rc = buf_printf(&body, c->why, r->schedule);
#pragma GCC diagnostic pop
    if (rc == ST_OK)
        rc = buf_puts(&body, "\r\n");
    if (rc == ST_OK && r->unsub && r->unsub->page_url)
        rc = buf_printf(&body, "%s\r\n%s\r\n", c->unsub, r->unsub->page_url);
    if (rc == ST_OK)
        rc = put_message(from, to, c, date, message_id, r->unsub, &subject, &body, out);
    buf_free(&subject);
    buf_free(&body);
    return rc;
}

int mail_compose_notice(const char *from, const char *to, const char *lang, int64_t date,
                        const char *message_id, const mail_notice_t *n, buf_t *out)
{
    if (!mail_address_valid(from) || !mail_address_valid(to) || !plain_ascii(message_id))
        return ST_ERR_INVALID;
    const mail_catalogue_t *c = catalogue(lang);
    buf_t subject, body;
    buf_init(&subject, 4096);
    buf_init(&body, 64 * 1024);
    bool stale = n->kind == MAIL_NOTICE_STALE;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int rc =
        stale ? buf_printf(&subject, c->stale_subject, n->tenant_name, n->period, n->template_name)
              : buf_printf(&subject, c->paused_subject, n->schedule, n->tenant_name);
    if (rc == ST_OK)
        rc = buf_printf(&body, "%s\r\n\r\n", c->greeting);
    if (rc == ST_OK)
        rc = stale ? buf_printf(&body, c->stale, n->template_name, n->tenant_name, n->period,
                                n->version, n->batches)
                   : buf_printf(&body, c->paused, n->schedule, n->tenant_name, n->reason);
#pragma GCC diagnostic pop
    if (rc == ST_OK && n->link)
        rc = buf_printf(&body, "\r\n%s", n->link);
    if (rc == ST_OK)
        rc = buf_printf(&body, "\r\n\r\n%s\r\n", stale ? c->stale_next : c->paused_next);
    if (rc == ST_OK)
        rc = put_message(from, to, c, date, message_id, NULL, &subject, &body, out);
    buf_free(&subject);
    buf_free(&body);
    return rc;
}
