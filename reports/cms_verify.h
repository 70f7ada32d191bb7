/*
 * cms_verify.h - checking a detached CMS signature over report bytes.
 *
 * A cms_trust owns the CA certificates a signature must chain to (built
 * once, from `[signing] ca`).  cms_verify() judges one signature against
 * one content and fills a caller-owned cms_verify_result: valid or not, a
 * precise reason and verdict when not, and for a valid one the signer's
 * subject and certificate fingerprint, the signing time and the content's
 * SHA-256 (the key to look the report up by).
 *
 * What is checked, in order:
 *   1. the signature is DER or PEM ("CMS" or "PKCS7" label) CMS SignedData,
 *      detached, over id-data, with exactly one signer whose certificate is
 *      included, a SHA-256/384/512 digest, and signed attributes carrying
 *      exactly one contentType (matching), messageDigest and signingTime;
 *   2. the content's digest equals the signed messageDigest ("content
 *      changed" otherwise);
 *   3. the signature over the signed attributes verifies with the signer
 *      certificate's key;
 *   4. the signer certificate chains to a trust-store CA, with the S/MIME
 *      signing purpose (as `openssl cms -verify` does by default, so both
 *      agree on which certificates may sign; see cms_sign.h), every
 *      certificate being valid AT THE SIGNING TIME.
 *
 * Why the signing time and not now: reports are kept and audited for years,
 * longer than a signing certificate lives.  Validating the chain at the
 * signed signingTime (X509_V_FLAG_USE_CHECK_TIME) keeps a report signed
 * while its certificate was valid verifiable after that certificate
 * expires, and still rejects a signature whose time falls outside the
 * certificate's validity (signed after expiry, or before issue).  The
 * signing time is the signer's own claim, covered by the signature but not
 * by a third-party timestamp (RFC 3161): a holder of an expired key could
 * backdate.  We accept that because the key is ours, there is no revocation
 * here, and each report's sha256 and generation time are also recorded in
 * the database and the hash-chained audit log, which /v1/verify reports.
 * The openssl command line checks at the current time unless given
 * `-attime`; until the certificate expires both agree.
 *
 * Threads: a cms_trust is immutable after cms_trust_new(); cms_verify() may
 * run on any thread, concurrently with the same trust store.  Inputs are
 * read, never kept.
 */
#ifndef SLT_CMS_VERIFY_H
#define SLT_CMS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pki.h"

/* Largest signature accepted (a SignedData with a few certificates is ~4 KiB). */
#define CMS_SIG_MAX (1u << 20)
/* Room for a signer subject (RFC 2253); a longer one reads "(subject too long)". */
#define CMS_SUBJECT_MAX 1024

typedef struct cms_trust cms_trust;

/* How the signature bytes were encoded. */
typedef enum cms_sig_format {
    CMS_SIG_UNKNOWN = 0, /* neither: not a signature */
    CMS_SIG_DER,
    CMS_SIG_PEM,
} cms_sig_format;

/* The outcome; every value but CMS_VALID means "not valid". */
typedef enum cms_verdict {
    CMS_VALID = 0,
    CMS_MALFORMED,          /* not a detached SignedData we can judge */
    CMS_CONTENT_CHANGED,    /* the content's digest differs from the signed one */
    CMS_BAD_SIGNATURE,      /* the signature does not verify with the signer's key */
    CMS_UNTRUSTED,          /* the signer does not chain to a trusted CA */
    CMS_CERT_EXPIRED,       /* a chain certificate had expired at signing time */
    CMS_CERT_NOT_YET_VALID, /* a chain certificate was not yet valid at signing time */
    CMS_WRONG_PURPOSE,      /* a certificate is not for S/MIME signing */
    CMS_CERT_INVALID,       /* any other certificate chain failure */
    CMS_ERROR,              /* the verification machinery itself failed */
} cms_verdict;

typedef struct cms_verify_result {
    int valid;             /* 1 only when every check passed */
    cms_verdict verdict;   /* CMS_VALID or why not */
    cms_sig_format format; /* DER or PEM as detected, UNKNOWN if neither */
    char reason[512];      /* "" when valid, else a precise sentence */
    /*
     * The fields below are filled as far as the checks got, for diagnosis
     * ("signed by X, who is not trusted"); only when valid == 1 do they
     * describe a trustworthy signature.  Empty string / -1 when unknown.
     */
    char signer[CMS_SUBJECT_MAX];                  /* subject, RFC 2253 */
    char signer_fingerprint[PKI_FINGERPRINT_SIZE]; /* SHA-256 of its DER, hex */
    int64_t signed_at;                             /* signingTime, epoch seconds */
    char content_sha256[PKI_FINGERPRINT_SIZE];     /* SHA-256 of the content, hex */
} cms_verify_result;

/*
 * Builds a trust store from one or more CA certificates (pki_certs_load()
 * of the `ca` file).  Takes its own references; the caller keeps and frees
 * its stack.  ST_ERR_INVALID for an empty stack.  *out is the caller's.
 */
int cms_trust_new(STACK_OF(X509) * cas, cms_trust **out, char *err, size_t errlen);

/* Frees a trust store; NULL is a no-op. */
void cms_trust_free(cms_trust *t);

/*
 * Verifies that `sig` (sig_len bytes, DER or PEM) is a valid detached
 * signature over `content` (content_len bytes; NULL allowed when 0) by a
 * signer chaining to `trust`.  Fills *res completely in every case.
 * Returns ST_OK when a verdict was reached (res->valid says which: a
 * changed content or an untrusted signer is a verdict, not an error);
 * ST_ERR_INVALID when the signature is empty, garbage, truncated or not a
 * detached SignedData (verdict CMS_MALFORMED); ST_ERR_TOO_LARGE over
 * CMS_SIG_MAX; ST_ERR_CRYPTO when OpenSSL fails (verdict CMS_ERROR).
 * res->valid is 0 whenever the return is not ST_OK.
 */
int cms_verify(const cms_trust *trust, const void *content, size_t content_len, const void *sig,
               size_t sig_len, cms_verify_result *res);

/*
 * A stable lowercase name for a verdict ("valid", "content_changed", ...)
 * for JSON and logs.  Static storage.
 */
const char *cms_verdict_name(cms_verdict v);

/* "der", "pem" or "unknown". Static storage. */
const char *cms_sig_format_name(cms_sig_format f);

#endif
