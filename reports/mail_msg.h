/*
 * mail_msg.h - the e-mail that delivers a scheduled report: an RFC 5322
 * message with CRLF line ends (with the recipient's opt-out link in the
 * body and in List-Unsubscribe / List-Unsubscribe-Post), a subject and body in the recipient's
 * language (one catalogue per language in mail_msg.c: "en", "zh"), a link
 * to the report, its SHA-256 and the fingerprint of the CA it is signed
 * under.  Non-ASCII headers are RFC 2047 encoded words; the body is UTF-8
 * in base64, so no relay needs 8BITMIME and no line is too long.
 *
 * Pure: no I/O, no clock (the Date header's instant is an argument).  The
 * caller owns every buffer; nothing is kept.  Any thread.
 */
#ifndef SLT_MAIL_MSG_H
#define SLT_MAIL_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define MAIL_ADDR_MAX 254

/* The opt-out links of one recipient (borrowed; printable ASCII). */
typedef struct mail_unsub {
    const char *page_url; /* in the body: a page that asks to confirm */
    const char *post_url; /* List-Unsubscribe, with List-Unsubscribe-Post (RFC 8058) */
} mail_unsub_t;

/* What the message says about the report (borrowed strings). */
typedef struct mail_report {
    const char *tenant_name;
    const char *period;        /* YYYY-MM */
    const char *template_name; /* client-monthly, ... */
    int version;
    const char *sha256;         /* the workbook's, hex */
    const char *ca_fingerprint; /* SHA-256 of the CA certificate, hex */
    const char *link;           /* where the report is */
    const char *schedule;       /* the schedule's name */
    const mail_unsub_t *unsub;  /* the recipient's opt-out links, or NULL */
} mail_report_t;

/* A notice to a tenant's managers. */
typedef enum mail_notice_kind { MAIL_NOTICE_STALE, MAIL_NOTICE_PAUSED } mail_notice_kind_t;

/* What a notice says (borrowed strings; unused ones may be NULL). */
typedef struct mail_notice {
    mail_notice_kind_t kind;
    const char *tenant_name;
    const char *period, *template_name; /* stale: the report */
    int version;                        /* stale: its version */
    const char *batches;                /* stale: the batch ids that changed it ("12, 13") */
    const char *schedule, *reason;      /* paused: the schedule and why */
    const char *link;                   /* the report, or the schedule's deliveries */
} mail_notice_t;

/* True for an address we send to: local@domain, printable ASCII without
 * spaces, quotes, angle brackets or commas, a dot in the domain, at most
 * MAIL_ADDR_MAX bytes. */
bool mail_address_valid(const char *addr);
/* True for a language with a catalogue ("en", "zh"). */
bool mail_lang_known(const char *lang);

/*
 * Appends the whole message (headers, blank line, body; every line ending
 * CRLF) to out.  from and to must pass mail_address_valid(); an unknown
 * lang falls back to "en".  date is epoch seconds (the Date header, UTC);
 * message_id is the part inside <>.  ST_ERR_INVALID for a bad address,
 * ST_ERR_TOO_LARGE when out's cap is reached.
 */
int mail_compose(const char *from, const char *to, const char *lang, int64_t date,
                 const char *message_id, const mail_report_t *r, buf_t *out);

/*
 * Appends a notice (a report gone stale, a schedule paused) to out, as
 * mail_compose() does a report's message.  Same errors.
 */
int mail_compose_notice(const char *from, const char *to, const char *lang, int64_t date,
                        const char *message_id, const mail_notice_t *n, buf_t *out);

#endif
