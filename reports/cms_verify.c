/* cms_verify.c - checking a detached CMS signature (see cms_verify.h). */
#include "cms_verify.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
/* pem.h before cms.h: cms.h declares PEM_read_bio_CMS only if pem.h was seen. */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include "status.h"
#include "xmem.h"

struct cms_trust {
    X509_STORE *store;
};

int cms_trust_new(STACK_OF(X509) * cas, cms_trust **out, char *err, size_t errlen)
{
    int rc = ST_ERR_INVALID;
    cms_trust *t = NULL;

    *out = NULL;
    ERR_clear_error();
    if (cas == NULL || sk_X509_num(cas) < 1) {
        snprintf(err, errlen, "trust store: at least one CA certificate is required");
        goto fail;
    }
    rc = ST_ERR_CRYPTO;
    t = xcalloc(1, sizeof(*t));
    t->store = X509_STORE_new();
    if (t->store == NULL) {
        pki_ssl_err(err, errlen, "trust store: cannot allocate");
        goto fail;
    }
    for (int i = 0; i < sk_X509_num(cas); i++) {
        if (X509_STORE_add_cert(t->store, sk_X509_value(cas, i)) != 1) {
            pki_ssl_err(err, errlen, "trust store: cannot add CA certificate %d", i + 1);
            goto fail;
        }
    }
    *out = t;
    return ST_OK;
fail:
    cms_trust_free(t);
    return rc;
}

void cms_trust_free(cms_trust *t)
{
    if (t == NULL)
        return;
    X509_STORE_free(t->store);
    free(t);
}

const char *cms_verdict_name(cms_verdict v)
{
    switch (v) {
    case CMS_VALID:
        return "valid";
    case CMS_MALFORMED:
        return "malformed";
    case CMS_CONTENT_CHANGED:
        return "content_changed";
    case CMS_BAD_SIGNATURE:
        return "bad_signature";
    case CMS_UNTRUSTED:
        return "untrusted";
    case CMS_CERT_EXPIRED:
        return "cert_expired";
    case CMS_CERT_NOT_YET_VALID:
        return "cert_not_yet_valid";
    case CMS_WRONG_PURPOSE:
        return "wrong_purpose";
    case CMS_CERT_INVALID:
        return "cert_invalid";
    case CMS_ERROR:
        return "error";
    }
    return "unknown";
}

const char *cms_sig_format_name(cms_sig_format f)
{
    switch (f) {
    case CMS_SIG_DER:
        return "der";
    case CMS_SIG_PEM:
        return "pem";
    case CMS_SIG_UNKNOWN:
        break;
    }
    return "unknown";
}

/*
 * Records a negative verdict and returns rc.  With `with_ssl` the latest
 * OpenSSL reason is appended (useful for parse errors, noise for a digest
 * mismatch).  The OpenSSL error queue is emptied either way.
 */
__attribute__((format(printf, 5, 6))) static int
cms_reject(cms_verify_result *res, int rc, cms_verdict v, int with_ssl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
    unsigned long e = ERR_peek_last_error();
    if (with_ssl && e != 0 && n >= 0 && (size_t)n < sizeof(res->reason)) {
        const char *why = ERR_reason_error_string(e);
        snprintf(res->reason + n, sizeof(res->reason) - (size_t)n, " (%s)",
                 why != NULL ? why : "OpenSSL error");
    }
    ERR_clear_error();
    res->valid = 0;
    res->verdict = v;
    return rc;
}

/* Writes an epoch instant as RFC 3339 UTC ("2026-11-01T08:00:00Z"). */
static void cms_fmt_time(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%lld", (long long)t);
}

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
static void cms_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

/* PEM password callback that refuses, so an encryption header never prompts. */
static int cms_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/*
 * Decodes the signature as PEM (leading whitespace, then a BEGIN line) or
 * DER (one SEQUENCE filling every byte), recording which in res->format.
 * On failure *why says what was wrong.
 */
static CMS_ContentInfo *cms_decode(const unsigned char *sig, size_t len, cms_verify_result *res,
                                   const char **why)
{
    static const char begin[] = "-----BEGIN ";
    size_t i = 0;
    while (i < len && (sig[i] == ' ' || sig[i] == '\t' || sig[i] == '\r' || sig[i] == '\n'))
        i++;
    if (len - i >= sizeof(begin) - 1 && memcmp(sig + i, begin, sizeof(begin) - 1) == 0) {
        res->format = CMS_SIG_PEM;
        *why = "not a CMS signature: malformed or truncated PEM";
        BIO *bio = BIO_new_mem_buf(sig, (int)len); /* len <= CMS_SIG_MAX */
        if (bio == NULL)
            return NULL;
        CMS_ContentInfo *cms = PEM_read_bio_CMS(bio, NULL, cms_no_password, NULL);
        BIO_free(bio);
        return cms;
    }
    if (sig[0] == 0x30) {
        res->format = CMS_SIG_DER;
        *why = "not a CMS signature: malformed or truncated DER";
        const unsigned char *p = sig;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
        if (cms != NULL && p != sig + len) {
            CMS_ContentInfo_free(cms);
            *why = "not a CMS signature: trailing bytes after the DER structure";
            return NULL;
        }
        return cms;
    }
    *why = "not a CMS signature: neither DER nor PEM";
    return NULL;
}

/* The digest algorithms a report signature may use; NULL for others. */
static const EVP_MD *cms_digest_allowed(int nid, const char **name)
{
    switch (nid) {
    case NID_sha256:
        *name = "SHA-256";
        return EVP_sha256();
    case NID_sha384:
        *name = "SHA-384";
        return EVP_sha384();
    case NID_sha512:
        *name = "SHA-512";
        return EVP_sha512();
    default:
        return NULL;
    }
}

/* Reads the single-valued signingTime attribute (UTCTime or GeneralizedTime). */
static int cms_signing_time(CMS_SignerInfo *si, int64_t *out)
{
    const ASN1_OBJECT *obj = OBJ_nid2obj(NID_pkcs9_signingTime);
    const ASN1_TIME *t = CMS_signed_get0_data_by_OBJ(si, obj, -3, V_ASN1_UTCTIME);
    if (t == NULL)
        t = CMS_signed_get0_data_by_OBJ(si, obj, -3, V_ASN1_GENERALIZEDTIME);
    if (t == NULL)
        return ST_ERR_INVALID;
    return pki_time_to_epoch(t, out);
}

/* Names a certificate for a reason string: which one, and its subject. */
static void cms_cert_label(X509 *x, int depth, char *buf, size_t len)
{
    char subject[256];
    if (x == NULL || pki_cert_subject(x, subject, sizeof(subject)) != ST_OK)
        snprintf(subject, sizeof(subject), "?");
    snprintf(buf, len, "%s certificate \"%s\"", depth == 0 ? "signer" : "CA", subject);
}

/*
 * Verifies the signer's chain against the trust store with the S/MIME
 * signing purpose (OpenSSL's "smime_sign" defaults, as `openssl cms
 * -verify` uses), at the signing time rather than now: see cms_verify.h for
 * why.  Sets *trusted, or maps OpenSSL's chain error to a verdict and a
 * reason in res; returns ST_OK unless the machinery failed.
 */
static int cms_check_chain(const cms_trust *trust, CMS_ContentInfo *cms, X509 *signer,
                           cms_verify_result *res, int *trusted)
{
    int rc;

    *trusted = 0;
    STACK_OF(X509) *untrusted = CMS_get1_certs(cms);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    if (ctx == NULL || X509_STORE_CTX_init(ctx, trust->store, signer, untrusted) != 1 ||
        X509_STORE_CTX_set_default(ctx, "smime_sign") != 1) {
        rc = cms_reject(res, ST_ERR_CRYPTO, CMS_ERROR, 1, "cannot set up chain verification");
        goto done;
    }
    X509_STORE_CTX_set_time(ctx, 0, (time_t)res->signed_at);
    if (X509_verify_cert(ctx) == 1) {
        *trusted = 1;
        rc = ST_OK;
        goto done;
    }
    int e = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *x = X509_STORE_CTX_get_current_cert(ctx);
    char label[320], from[32], until[32], at[32];
    int64_t nb = -1, na = -1;
    cms_cert_label(x, depth, label, sizeof(label));
    if (x != NULL)
        (void)pki_cert_validity(x, &nb, &na);
    cms_fmt_time(nb, from, sizeof(from));
    cms_fmt_time(na, until, sizeof(until));
    cms_fmt_time(res->signed_at, at, sizeof(at));
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        rc = cms_reject(res, ST_OK, CMS_CERT_EXPIRED, 0,
                        "%s expired at signing time: valid until %s, signed at %s", label, until,
                        at);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        rc = cms_reject(res, ST_OK, CMS_CERT_NOT_YET_VALID, 0,
                        "%s not yet valid at signing time: valid from %s, signed at %s", label,
                        from, at);
        break;
    case X509_V_ERR_INVALID_PURPOSE:
        rc = cms_reject(res, ST_OK, CMS_WRONG_PURPOSE, 0,
                        "%s is not valid for S/MIME signing (a signer needs keyUsage "
                        "digitalSignature or nonRepudiation and extendedKeyUsage "
                        "emailProtection)",
                        label);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        rc = cms_reject(res, ST_OK, CMS_UNTRUSTED, 0,
                        "signer certificate does not chain to a trusted CA: %s (at %s)",
                        X509_verify_cert_error_string(e), label);
        break;
    default:
        rc = cms_reject(res, ST_OK, CMS_CERT_INVALID, 0,
                        "certificate chain invalid at signing time: %s (at %s)",
                        X509_verify_cert_error_string(e), label);
        break;
    }
done:
    X509_STORE_CTX_free(ctx);
    pki_certs_free(untrusted);
    return rc;
}

/* What cms_read_signed() found in a structurally sound signature. */
struct cms_signed {
    CMS_SignerInfo *si;
    X509 *signer;                    /* owned by the CMS structure */
    const EVP_MD *md;                /* its digest algorithm */
    const char *mdname;              /* "SHA-256", ... */
    const ASN1_OCTET_STRING *digest; /* the signed messageDigest */
};

/*
 * Check 1 of cms_verify.h: a detached SignedData over id-data with one
 * signer, its certificate included, an accepted digest, and the three
 * signed attributes we rely on, each present once.  Fills the signer's
 * subject, fingerprint and signing time into res as soon as they are known.
 */
static int cms_read_signed(CMS_ContentInfo *cms, cms_verify_result *res, struct cms_signed *sd)
{
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "not a SignedData (content type %s)",
                          OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms))));
    if (CMS_is_detached(cms) != 1)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "signature embeds content; a detached signature is expected");
    const ASN1_OBJECT *ctype = CMS_get0_eContentType(cms);
    if (ctype == NULL || OBJ_obj2nid(ctype) != NID_pkcs7_data)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "signed content type is not id-data");
    STACK_OF(CMS_SignerInfo) *sinfos = CMS_get0_SignerInfos(cms);
    if (sk_CMS_SignerInfo_num(sinfos) != 1)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "expected exactly one signer, found %d",
                          sk_CMS_SignerInfo_num(sinfos) < 0 ? 0 : sk_CMS_SignerInfo_num(sinfos));
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sinfos, 0);
    X509 *signer = NULL;
    X509_ALGOR *dig = NULL;
    (void)CMS_set1_signers_certs(cms, NULL, 0);
    CMS_SignerInfo_get0_algs(si, NULL, &signer, &dig, NULL);
    if (signer == NULL)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "signer certificate not included in the signature");
    if (pki_cert_subject(signer, res->signer, sizeof(res->signer)) != ST_OK)
        snprintf(res->signer, sizeof(res->signer), "(subject too long)");
    if (pki_cert_fingerprint(signer, res->signer_fingerprint) != ST_OK)
        return cms_reject(res, ST_ERR_CRYPTO, CMS_ERROR, 1, "cannot encode the signer certificate");
    const ASN1_OBJECT *dobj = NULL;
    X509_ALGOR_get0(&dobj, NULL, NULL, dig);
    const char *mdname = NULL;
    const EVP_MD *mdtype = cms_digest_allowed(OBJ_obj2nid(dobj), &mdname);
    if (mdtype == NULL)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "digest algorithm %s not accepted (SHA-256, SHA-384 or SHA-512)",
                          OBJ_nid2sn(OBJ_obj2nid(dobj)));
    if (CMS_signed_get_attr_count(si) <= 0)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0, "no signed attributes");
    const ASN1_OBJECT *actype =
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
    if (actype == NULL || OBJ_cmp(actype, ctype) != 0)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "content-type attribute missing, repeated or not id-data");
    const ASN1_OCTET_STRING *digest = CMS_signed_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
    if (digest == NULL)
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "message-digest attribute missing or repeated");
    if (cms_signing_time(si, &res->signed_at) != ST_OK) {
        res->signed_at = -1;
        return cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0,
                          "signing-time attribute missing, repeated or malformed");
    }

    sd->si = si;
    sd->signer = signer;
    sd->md = mdtype;
    sd->mdname = mdname;
    sd->digest = digest;
    return ST_OK;
}

int cms_verify(const cms_trust *trust, const void *content, size_t content_len, const void *sig,
               size_t sig_len, cms_verify_result *res)
{
    int rc;
    CMS_ContentInfo *cms = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    memset(res, 0, sizeof(*res));
    res->verdict = CMS_MALFORMED;
    res->format = CMS_SIG_UNKNOWN;
    res->signed_at = -1;
    ERR_clear_error();

    if (content == NULL && content_len > 0) {
        rc = cms_reject(res, ST_ERR_INVALID, CMS_ERROR, 0, "no content given");
        goto done;
    }
    if (EVP_Digest(content_len > 0 ? content : "", content_len, md, &mdlen, EVP_sha256(), NULL) !=
        1) {
        rc = cms_reject(res, ST_ERR_CRYPTO, CMS_ERROR, 1, "cannot hash the content");
        goto done;
    }
    cms_hex(md, mdlen, res->content_sha256);

    if (sig == NULL || sig_len == 0) {
        rc = cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 0, "empty signature");
        goto done;
    }
    if (sig_len > CMS_SIG_MAX) {
        rc = cms_reject(res, ST_ERR_TOO_LARGE, CMS_MALFORMED, 0, "signature larger than %u bytes",
                        CMS_SIG_MAX);
        goto done;
    }
    const char *why = NULL;
    cms = cms_decode(sig, sig_len, res, &why);
    if (cms == NULL) {
        rc = cms_reject(res, ST_ERR_INVALID, CMS_MALFORMED, 1, "%s", why);
        goto done;
    }

    /* 1. Structure. */
    struct cms_signed sd = {.si = NULL};
    if ((rc = cms_read_signed(cms, res, &sd)) != ST_OK)
        goto done;

    /* 2. The content is the one signed. */
    if (EVP_MD_get_type(sd.md) != NID_sha256 &&
        EVP_Digest(content_len > 0 ? content : "", content_len, md, &mdlen, sd.md, NULL) != 1) {
        rc = cms_reject(res, ST_ERR_CRYPTO, CMS_ERROR, 1, "cannot hash the content");
        goto done;
    }
    if ((size_t)ASN1_STRING_length(sd.digest) != mdlen ||
        memcmp(ASN1_STRING_get0_data(sd.digest), md, mdlen) != 0) {
        rc = cms_reject(res, ST_OK, CMS_CONTENT_CHANGED, 0,
                        "content changed: its %s digest does not match the signed message "
                        "digest",
                        sd.mdname);
        goto done;
    }

    /* 3. The signed attributes (holding that digest) are the signer's. */
    if (CMS_SignerInfo_verify(sd.si) != 1) {
        rc = cms_reject(res, ST_OK, CMS_BAD_SIGNATURE, 1,
                        "signature does not verify with the signer certificate's key");
        goto done;
    }

    /* 4. The signer is trusted, at the time it signed. */
    int trusted = 0;
    rc = cms_check_chain(trust, cms, sd.signer, res, &trusted);
    if (rc != ST_OK || !trusted)
        goto done;

    res->valid = 1;
    res->verdict = CMS_VALID;
    res->reason[0] = '\0';
    rc = ST_OK;
done:
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}
