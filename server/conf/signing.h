/*
 * signing.h - the report-signing identity the server runs with: the key and
 * certificate that sign new reports, the CA that signatures must chain to,
 * and the retired certificates that stay published so that older reports
 * keep verifying after a key rotation.
 *
 * signing_load() reads [signing] key, cert, ca and every *.pem in
 * [signing] retired; it refuses a key file that group or others may read.
 * The result is immutable and may be shared by every thread; the caller
 * frees it with signing_free().
 */
#ifndef SLT_SIGNING_H
#define SLT_SIGNING_H

#include <jansson.h>

#include "cms_sign.h"
#include "cms_verify.h"
#include "config.h"

typedef struct signing signing_t;

int signing_load(const config_t *cfg, signing_t **out, char *err, size_t errlen);
void signing_free(signing_t *s);

/* The signer for new reports (borrowed). */
const cms_signer *signing_signer(const signing_t *s);
/* The trust store: the configured CA (borrowed). */
const cms_trust *signing_trust(const signing_t *s);
/*
 * The published certificates as JSON, current first: [{"status",
 * "fingerprint", "subject", "not_before", "not_after", "pem"}].  Borrowed.
 */
const json_t *signing_certificates(const signing_t *s);

/* The CA certificate file's PEM text, as loaded at start (borrowed). */
const char *signing_ca_pem(const signing_t *s);
/* The CA certificate (the file's first) as GET /v1/certificates publishes it:
 * {"status": "ca", "fingerprint", "subject", "not_before", "not_after", "pem"}
 * (borrowed), and its SHA-256 fingerprint (64 lowercase hex, borrowed): what
 * an auditor compares with one obtained independently before trusting ca.pem. */
const json_t *signing_ca(const signing_t *s);
const char *signing_ca_fingerprint(const signing_t *s);
/* The PEM of a published certificate by SHA-256 fingerprint, or NULL (borrowed). */
const char *signing_cert_pem(const signing_t *s, const char *fingerprint);

/* Loads only the trust store from a CA file (for offline verification). */
int signing_trust_load(const char *ca_file, cms_trust **out, char *err, size_t errlen);

#endif
