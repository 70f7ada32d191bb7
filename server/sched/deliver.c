/* deliver.c - e-mail and webhook sending with libcurl (see deliver.h). */
#include "deliver.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "status.h"
#include "xmem.h"

int dlv_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? ST_OK : ST_ERR_INTERNAL;
}

void dlv_end(void)
{
    curl_global_cleanup();
}

/* The message being uploaded to the SMTP server. */
typedef struct upload {
    const char *data;
    size_t len, off;
} upload_t;

/* libcurl's read callback: the next piece of the message. */
static size_t read_message(char *ptr, size_t size, size_t nmemb, void *arg)
{
    upload_t *u = arg;
    size_t n = size * nmemb, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(ptr, u->data + u->off, n);
    u->off += n;
    return n;
}

/* libcurl's write callback: the answer body is not needed. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * nmemb;
}

int dlv_smtp_send(const config_t *cfg, const char *to, const char *msg, size_t len, char *err,
                  size_t errlen)
{
    if (!cfg->smtp_url[0]) {
        st_errf(err, errlen, "no SMTP relay configured ([smtp] url)");
        return ST_ERR_CONFIG;
    }
    char from[300], rcpt_addr[300], cerr[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", cfg->smtp_from);
    snprintf(rcpt_addr, sizeof rcpt_addr, "<%s>", to);
    upload_t up = {msg, len, 0};
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
    if (!c || !rcpt) {
        st_errf(err, errlen, "cannot create a curl handle");
        curl_slist_free_all(rcpt);
        curl_easy_cleanup(c);
        return ST_ERR_INTERNAL;
    }
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->smtp_timeout_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    if (cfg->smtp_require_tls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->smtp_ca[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp_ca);
    if (cfg->smtp_user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        st_errf(err, errlen, "SMTP: %s", cerr[0] ? cerr : curl_easy_strerror(cc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return cc == CURLE_OK ? ST_OK : ST_ERR_IO;
}

void dlv_webhook_signature(const char *secret, int64_t t, const char *body, size_t len,
                           char out[DLV_SIG_MAX])
{
    char ts[24];
    int n = snprintf(ts, sizeof ts, "%lld.", (long long)t);
    /* HMAC over "<t>." + body: hash the two parts as one message. */
    size_t total = (size_t)n + len;
    char *signed_text = xmalloc(total + 1);
    memcpy(signed_text, ts, (size_t)n);
    memcpy(signed_text + n, body, len);
    uint8_t mac[HASH_SHA256_LEN];
    hash_hmac_sha256(secret, strlen(secret), signed_text, total, mac);
    free(signed_text);
    char hex[2 * HASH_SHA256_LEN + 1];
    hash_hex(mac, sizeof mac, hex);
    snprintf(out, DLV_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

int dlv_webhook_post(const config_t *cfg, const char *url, const char *secret, int64_t t,
                     const char *body, size_t len, long *status, char *err, size_t errlen)
{
    char sig[DLV_SIG_MAX], header[DLV_SIG_MAX + 40], cerr[CURL_ERROR_SIZE] = "";
    dlv_webhook_signature(secret, t, body, len, sig);
    snprintf(header, sizeof header, "X-Slattest-Signature: %s", sig);
    *status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = h ? curl_slist_append(h, header) : NULL;
    h = h ? curl_slist_append(h, "User-Agent: slattest-webhook/1") : NULL;
    if (!c || !h) {
        st_errf(err, errlen, "cannot create a curl handle");
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return ST_ERR_INTERNAL;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->webhook_timeout_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cc = curl_easy_perform(c);
    int rc = ST_ERR_IO;
    if (cc != CURLE_OK) {
        st_errf(err, errlen, "webhook: %s", cerr[0] ? cerr : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        if (*status >= 200 && *status < 300)
            rc = ST_OK;
        else
            st_errf(err, errlen, "webhook: the receiver answered HTTP %ld", *status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}
