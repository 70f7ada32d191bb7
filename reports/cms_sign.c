/* cms_sign.c - detached CMS SignedData over report bytes (see cms_sign.h). */
#include "cms_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "status.h"
#include "xmem.h"

/* Content goes through the digest BIO in pieces OpenSSL's int lengths take. */
#define CMS_SIGN_CHUNK (1 << 20)
/* The buffer cms_sign_stream() hands its reader. */
#define CMS_SIGN_READ (64 << 10)
/* Latest signing time accepted: 9999-12-31T23:59:59Z, GeneralizedTime's end. */
#define CMS_SIGN_TIME_MAX INT64_C(253402300799)
#define CMS_RSA_MIN_BITS  2048

struct cms_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * extra; /* intermediates shipped with each signature */
    int64_t not_before;
    int64_t not_after;
    char fingerprint[PKI_FINGERPRINT_SIZE];
};

/* Accepts RSA >= 2048 bits and EC on the NIST curves; see cms_sign.h. */
static int cms_key_check(EVP_PKEY *key, char *err, size_t errlen)
{
    if (EVP_PKEY_is_a(key, "RSA")) {
        int bits = EVP_PKEY_get_bits(key);
        if (bits < CMS_RSA_MIN_BITS) {
            snprintf(err, errlen, "RSA key of %d bits: at least %d required", bits,
                     CMS_RSA_MIN_BITS);
            return ST_ERR_INVALID;
        }
        return ST_OK;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        static const char *const curves[] = {"prime256v1", "secp384r1", "secp521r1"};
        char name[64] = "";
        size_t n = 0;
        if (EVP_PKEY_get_group_name(key, name, sizeof(name), &n) != 1) {
            pki_ssl_err(err, errlen, "EC key without a named curve");
            return ST_ERR_INVALID;
        }
        for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
            if (strcmp(name, curves[i]) == 0)
                return ST_OK;
        snprintf(err, errlen, "EC key on curve %s: P-256, P-384 or P-521 required", name);
        return ST_ERR_INVALID;
    }
    const char *type = EVP_PKEY_get0_type_name(key);
    snprintf(err, errlen, "%s key: only RSA and EC keys can sign reports",
             type != NULL ? type : "unknown");
    return ST_ERR_INVALID;
}

int cms_signer_new(EVP_PKEY *key, STACK_OF(X509) * chain, cms_signer **out, char *err,
                   size_t errlen)
{
    int rc = ST_ERR_INVALID;
    cms_signer *s = NULL;

    *out = NULL;
    ERR_clear_error();
    if (key == NULL || chain == NULL || sk_X509_num(chain) < 1) {
        snprintf(err, errlen, "signer: a key and at least one certificate are required");
        goto fail;
    }
    X509 *cert = sk_X509_value(chain, 0);
    if ((rc = cms_key_check(key, err, errlen)) != ST_OK)
        goto fail;
    rc = ST_ERR_INVALID;
    if (X509_check_private_key(cert, key) != 1) {
        pki_ssl_err(err, errlen, "signer: the private key does not match the certificate");
        goto fail;
    }
    if ((rc = pki_cert_check_signing(cert, err, errlen)) != ST_OK)
        goto fail;

    s = xcalloc(1, sizeof(*s));
    if ((rc = pki_cert_validity(cert, &s->not_before, &s->not_after)) != ST_OK) {
        snprintf(err, errlen, "signer: unreadable certificate validity");
        goto fail;
    }
    if ((rc = pki_cert_fingerprint(cert, s->fingerprint)) != ST_OK) {
        snprintf(err, errlen, "signer: cannot encode the certificate");
        goto fail;
    }
    rc = ST_ERR_CRYPTO;
    s->extra = sk_X509_new_null();
    if (s->extra == NULL) {
        pki_ssl_err(err, errlen, "signer: cannot allocate");
        goto fail;
    }
    for (int i = 1; i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        if (!sk_X509_push(s->extra, x)) {
            pki_ssl_err(err, errlen, "signer: cannot allocate");
            goto fail;
        }
        X509_up_ref(x);
    }
    EVP_PKEY_up_ref(key);
    s->key = key;
    X509_up_ref(cert);
    s->cert = cert;
    *out = s;
    return ST_OK;
fail:
    cms_signer_free(s);
    return rc;
}

void cms_signer_free(cms_signer *s)
{
    if (s == NULL)
        return;
    pki_certs_free(s->extra);
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    free(s);
}

const char *cms_signer_fingerprint(const cms_signer *s)
{
    return s->fingerprint;
}

const X509 *cms_signer_cert(const cms_signer *s)
{
    return s->cert;
}

/*
 * Adds the signingTime attribute with the caller's instant.  Done before
 * CMS_dataFinal(): CMS_SignerInfo_sign() adds the current time only when
 * the attribute is absent.  ASN1_TIME_set() picks UTCTime for 1950-2049 and
 * GeneralizedTime otherwise, the encoding RFC 5652 mandates.
 */
static int cms_add_signing_time(CMS_SignerInfo *si, int64_t t)
{
    ASN1_TIME *at = ASN1_TIME_set(NULL, (time_t)t);
    if (at == NULL)
        return 0;
    int ok =
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(at), at, -1) == 1;
    ASN1_TIME_free(at);
    return ok;
}

/* Feeds the content through the CMS digest BIO chain, in int-sized pieces. */
static int cms_write_content(BIO *bio, const unsigned char *p, size_t len)
{
    while (len > 0) {
        int n = len > CMS_SIGN_CHUNK ? CMS_SIGN_CHUNK : (int)len;
        int w = BIO_write(bio, p, n);
        if (w <= 0)
            return 0;
        p += w;
        len -= (size_t)w;
    }
    return 1;
}

/* Where cms_sign_with() takes the content from: the caller's bytes, or its reader. */
typedef struct cms_source {
    const unsigned char *bytes; /* cms_sign(): len bytes */
    size_t len;
    cms_read_fn read; /* cms_sign_stream(): pieces until it gives none */
    void *arg;
} cms_source_t;

/*
 * Streams the source through the digest BIO: the caller's bytes in one go,
 * or the reader's pieces through a CMS_SIGN_READ buffer, so that the
 * content is never whole in memory.  A reader's failure status comes back
 * in *rc, OpenSSL's as 0.
 */
static int cms_feed(BIO *bio, const cms_source_t *src, int *rc, char *err, size_t errlen)
{
    if (src->read == NULL)
        return cms_write_content(bio, src->bytes, src->len);
    unsigned char *chunk = xmalloc(CMS_SIGN_READ);
    int ok = 1;
    for (;;) {
        size_t got = 0;
        int st = src->read(src->arg, chunk, CMS_SIGN_READ, &got);
        if (st != ST_OK) {
            *rc = st;
            snprintf(err, errlen, "sign: reading the content failed: %s", st_strerror(st));
            ok = 0;
            break;
        }
        if (got == 0)
            break;
        if (got > CMS_SIGN_READ || !cms_write_content(bio, chunk, got)) {
            ok = 0;
            break;
        }
    }
    free(chunk);
    return ok;
}

/*
 * The messageDigest signed attribute: the SHA-256 of the content the
 * digest BIO saw (RFC 5652 section 11.2), into out[32].
 */
static int cms_content_digest(CMS_ContentInfo *cms, uint8_t out[32])
{
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1)
        return 0;
    const ASN1_OCTET_STRING *md =
        CMS_signed_get0_data_by_OBJ(sk_CMS_SignerInfo_value(sis, 0),
                                    OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
    if (md == NULL || ASN1_STRING_length(md) != 32)
        return 0;
    memcpy(out, ASN1_STRING_get0_data(md), 32);
    return 1;
}

/*
 * What cms_sign() and cms_sign_stream() share: one SignedData made the
 * same way whatever the content's source, so that the two give the same
 * bytes.  sha256, when not NULL, receives the content's digest.
 */
static int cms_sign_with(const cms_signer *s, const cms_source_t *src, int64_t signing_time,
                         uint8_t *sha256, unsigned char **der, size_t *der_len, char *err,
                         size_t errlen)
{
    int rc = ST_ERR_CRYPTO;
    CMS_ContentInfo *cms = NULL;
    BIO *bio = NULL;
    unsigned char *out = NULL;
    const unsigned int flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL | CMS_NOSMIMECAP;

    *der = NULL;
    *der_len = 0;
    ERR_clear_error();
    if (signing_time < 0 || signing_time > CMS_SIGN_TIME_MAX ||
        (int64_t)(time_t)signing_time != signing_time) {
        rc = ST_ERR_INVALID;
        snprintf(err, errlen, "sign: signing time %lld out of range", (long long)signing_time);
        goto fail;
    }
    if (signing_time < s->not_before || signing_time > s->not_after) {
        rc = ST_ERR_INVALID;
        snprintf(err, errlen,
                 "sign: signing time %lld is outside the certificate's validity "
                 "[%lld, %lld]; its signature would not verify",
                 (long long)signing_time, (long long)s->not_before, (long long)s->not_after);
        goto fail;
    }

    /*
     * CMS_PARTIAL leaves the structure open: the signer and our signing
     * time go in first, and the digest and signature are computed when the
     * content has streamed through CMS_dataInit()/CMS_dataFinal().  The
     * detached content's BIO is a null sink: only the digest keeps state.
     */
    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (cms == NULL) {
        pki_ssl_err(err, errlen, "sign: cannot create SignedData");
        goto fail;
    }
    CMS_SignerInfo *si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags);
    if (si == NULL) {
        pki_ssl_err(err, errlen, "sign: cannot add the signer");
        goto fail;
    }
    if (!cms_add_signing_time(si, signing_time)) {
        pki_ssl_err(err, errlen, "sign: cannot add the signing time");
        goto fail;
    }
    for (int i = 0; i < sk_X509_num(s->extra); i++) {
        if (CMS_add1_cert(cms, sk_X509_value(s->extra, i)) != 1) {
            pki_ssl_err(err, errlen, "sign: cannot add an intermediate certificate");
            goto fail;
        }
    }
    bio = CMS_dataInit(cms, NULL);
    if (bio == NULL) {
        pki_ssl_err(err, errlen, "sign: cannot start the digest");
        goto fail;
    }
    if (!cms_feed(bio, src, &rc, err, errlen) || BIO_flush(bio) != 1) {
        if (rc == ST_ERR_CRYPTO)
            pki_ssl_err(err, errlen, "sign: cannot digest the content");
        goto fail;
    }
    if (CMS_dataFinal(cms, bio) != 1) {
        pki_ssl_err(err, errlen, "sign: signing failed");
        goto fail;
    }
    if (sha256 != NULL && !cms_content_digest(cms, sha256)) {
        pki_ssl_err(err, errlen, "sign: no message digest in the signature");
        goto fail;
    }
    int n = i2d_CMS_ContentInfo(cms, NULL);
    if (n <= 0) {
        pki_ssl_err(err, errlen, "sign: cannot encode the signature");
        goto fail;
    }
    out = xmalloc((size_t)n);
    unsigned char *p = out;
    if (i2d_CMS_ContentInfo(cms, &p) != n) {
        pki_ssl_err(err, errlen, "sign: cannot encode the signature");
        goto fail;
    }
    BIO_free_all(bio);
    CMS_ContentInfo_free(cms);
    *der = out;
    *der_len = (size_t)n;
    return ST_OK;
fail:
    free(out);
    BIO_free_all(bio);
    CMS_ContentInfo_free(cms);
    return rc;
}

int cms_sign(const cms_signer *s, const void *content, size_t len, int64_t signing_time,
             unsigned char **der, size_t *der_len, char *err, size_t errlen)
{
    if (content == NULL && len > 0) {
        *der = NULL;
        *der_len = 0;
        snprintf(err, errlen, "sign: no content");
        return ST_ERR_INVALID;
    }
    cms_source_t src = {.bytes = content, .len = len};
    return cms_sign_with(s, &src, signing_time, NULL, der, der_len, err, errlen);
}

int cms_sign_stream(const cms_signer *s, cms_read_fn read, void *arg, int64_t signing_time,
                    uint8_t sha256[32], unsigned char **der, size_t *der_len, char *err,
                    size_t errlen)
{
    cms_source_t src = {.read = read, .arg = arg};
    return cms_sign_with(s, &src, signing_time, sha256, der, der_len, err, errlen);
}
