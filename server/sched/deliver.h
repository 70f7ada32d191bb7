/*
 * deliver.h - sending a scheduled report's notice: one e-mail over SMTP,
 * or one signed webhook POST, through libcurl (blocking, with a timeout).
 *
 * dlv_init() runs once per process before any thread starts (libcurl's
 * global set-up); dlv_end() at exit.  The send functions may run on any
 * thread: each uses its own curl handle and keeps nothing.  Every argument
 * is borrowed.  On failure err says what went wrong (for the attempt's
 * record); nothing is retried here (the caller's backoff does that).
 */
#ifndef SLT_DELIVER_H
#define SLT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

int dlv_init(void);
void dlv_end(void);

/*
 * Sends msg (a whole RFC 5322 message, CRLF line ends) from [smtp] from to
 * one recipient through [smtp] url, with STARTTLS required unless
 * [smtp] require_tls is false (a loopback relay), and authentication when
 * [smtp] user is set.  ST_ERR_CONFIG when no relay is configured,
 * ST_ERR_IO with curl's reason otherwise.
 */
int dlv_smtp_send(const config_t *cfg, const char *to, const char *msg, size_t len, char *err,
                  size_t errlen);

/*
 * The signature header value of a webhook body: "t=<t>,v1=<hex of
 * HMAC-SHA256(secret, "<t>." + body)>", into out (at least
 * DLV_SIG_MAX bytes).  Pure.
 */
#define DLV_SIG_MAX 96
void dlv_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                           char out[DLV_SIG_MAX]);

/*
 * POSTs body (JSON) to url with X-Slattest-Signature (signed at instant t,
 * the sender's clock) within [webhook] timeout_s.  ST_OK for a 2xx answer;
 * ST_ERR_IO otherwise, with the status or curl's reason in err.  *status
 * is the HTTP status (0 when none came).
 */
int dlv_webhook_post(const config_t *cfg, const char *url, const char *secret, int64_t t,
                     const char *body, size_t len, long *status, char *err, size_t errlen);

#endif
