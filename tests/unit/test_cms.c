/*
 * Unit tests for reports/cms_sign.c and reports/cms_verify.c.
 *
 * The group setup builds a small PKI in-process with the OpenSSL API (test
 * code only): a CA, signing certificates under it (EC, RSA, expired, TLS
 * profile), an unrelated CA, an impostor CA with the real CA's name, and an
 * intermediate CA.  Signatures the module would refuse to make (outside the
 * certificate's validity, with a TLS certificate, with embedded content)
 * are made by raw_sign() below with OpenSSL directly.
 *
 * test_stream_* check cms_sign_stream() against cms_sign() and OpenSSL's
 * one-shot signing of the same bytes.
 *
 * test_openssl_cli is the independent check: it writes signature, content
 * and CA to a mkdtemp directory and runs the real `openssl cms -verify`
 * command line an auditor would use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include "cms_sign.h"
#include "cms_verify.h"
#include "pki.h"
#include "status.h"

/* 2000-01-01T00:00:00Z: 30 * 365 + 7 leap days = 10957 days * 86400. */
#define T2000 INT64_C(946684800)
/* 2020-01-01T00:00:00Z: 50 * 365 + 12 leap days = 18262 days * 86400. */
#define T2020 INT64_C(1577836800)
/* 2021-01-01T00:00:00Z: 2020 is a leap year, 1577836800 + 366 * 86400. */
#define T2021 INT64_C(1609459200)
/* 2019-06-01T00:00:00Z: 2019-01-01 (1546300800) + 151 days (Jan-May). */
#define T2019_JUN INT64_C(1559347200)
/* 2020-06-01T00:00:00Z: T2020 + 152 days (Jan-May of a leap year). */
#define T2020_JUN INT64_C(1590969600)
/* 2022-01-01T00:00:00Z: 52 * 365 + 13 leap days = 18993 days * 86400. */
#define T2022 INT64_C(1640995200)
/*
 * 2026-11-01T08:00:00Z, the fixed `generated_at`: 2026-01-01 is 56 * 365 +
 * 14 leap days = 20454 days (1767225600); + 304 days (Jan-Oct) = 20758 days
 * = 1793491200; + 8 h = 28800 s.
 */
#define T_GEN INT64_C(1793520000)
/* 2050-01-01T01:00:00Z: 80 * 365 + 20 leap days = 29220 days, + 3600 s. */
#define T2050 INT64_C(2524611600)
/* 2060-01-01T00:00:00Z: 90 * 365 + 22 leap days (1972..2056) = 32872 days. */
#define T2060 INT64_C(2840140800)
/* 2100-01-01T00:00:00Z: 130 * 365 + 32 leap days (1972..2096) = 47482 days. */
#define T2100 INT64_C(4102444800)

/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
static const char ABC_SHA256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

#define CONTENT_LEN 4096

struct pki_fixture {
    EVP_PKEY *ca_key, *other_key, *impostor_key, *inter_key;
    X509 *ca, *other_ca, *impostor_ca, *inter_ca;
    EVP_PKEY *ec_key, *rsa_key, *old_key, *tls_key, *stranger_key, *fake_key, *deep_key;
    X509 *ec_cert, *rsa_cert, *old_cert, *tls_cert, *stranger_cert, *fake_cert, *deep_cert;
    cms_signer *ec, *rsa, *old, *stranger, *fake;
    cms_trust *trust;
    unsigned char content[CONTENT_LEN];
};
static struct pki_fixture F;

/* Adds one X.509v3 extension from its openssl.cnf text form. */
static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/*
 * Makes a certificate for `key` named O=Slattest Tests, CN=cn, issued by
 * `issuer` (self-signed when NULL), valid [nb, na], with the given
 * basicConstraints, keyUsage and extendedKeyUsage (NULL: absent).
 */
static X509 *mk_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb,
                     int64_t na, const char *bc, const char *ku, const char *eku)
{
    static long serial = 100;
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    X509_NAME *name = X509_NAME_new();
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"Slattest Tests", -1, -1, 0),
                     1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_set_subject_name(x, name), 1);
    assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
    X509_NAME_free(name);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    add_ext(x, &ctx, NID_basic_constraints, bc);
    if (ku != NULL)
        add_ext(x, &ctx, NID_key_usage, ku);
    if (eku != NULL)
        add_ext(x, &ctx, NID_ext_key_usage, eku);
    add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    if (issuer != NULL)
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid");
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

/* A CA certificate valid 2000-2100. */
static X509 *mk_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    return mk_cert(cn, key, issuer, issuer_key, T2000, T2100, "critical,CA:TRUE",
                   "critical,keyCertSign,cRLSign", NULL);
}

/* A certificate with the documented signing profile. */
static X509 *mk_signing(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                        int64_t nb, int64_t na)
{
    return mk_cert(cn, key, issuer, issuer_key, nb, na, "critical,CA:FALSE",
                   "critical,digitalSignature,nonRepudiation", "emailProtection");
}

/* A signer from a key and a chain of one or two certificates. */
static cms_signer *mk_signer(EVP_PKEY *key, X509 *cert, X509 *inter)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    sk_X509_push(chain, cert);
    if (inter != NULL)
        sk_X509_push(chain, inter);
    cms_signer *s = NULL;
    char err[256] = "";
    assert_int_equal(cms_signer_new(key, chain, &s, err, sizeof(err)), ST_OK);
    sk_X509_free(chain); /* the signer holds its own references */
    return s;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof(F));
    for (size_t i = 0; i < CONTENT_LEN; i++)
        F.content[i] = (unsigned char)(i * 31 + 7);
    F.ca_key = EVP_EC_gen("P-256");
    F.other_key = EVP_EC_gen("P-256");
    F.impostor_key = EVP_EC_gen("P-256");
    F.inter_key = EVP_EC_gen("P-256");
    F.ec_key = EVP_EC_gen("P-256");
    F.rsa_key = EVP_RSA_gen(2048);
    F.old_key = EVP_EC_gen("P-256");
    F.tls_key = EVP_EC_gen("P-256");
    F.stranger_key = EVP_EC_gen("P-256");
    F.fake_key = EVP_EC_gen("P-256");
    F.deep_key = EVP_EC_gen("P-384");
    F.ca = mk_ca("slattest test CA", F.ca_key, NULL, NULL);
    F.other_ca = mk_ca("unrelated CA", F.other_key, NULL, NULL);
    /* Same name as the real CA, different key. */
    F.impostor_ca = mk_ca("slattest test CA", F.impostor_key, NULL, NULL);
    F.inter_ca = mk_ca("slattest intermediate CA", F.inter_key, F.ca, F.ca_key);
    F.ec_cert = mk_signing("signer EC", F.ec_key, F.ca, F.ca_key, T2020, T2060);
    F.rsa_cert = mk_signing("signer RSA", F.rsa_key, F.ca, F.ca_key, T2020, T2060);
    F.old_cert = mk_signing("signer 2020", F.old_key, F.ca, F.ca_key, T2020, T2021);
    F.tls_cert = mk_cert("tls server", F.tls_key, F.ca, F.ca_key, T2020, T2060, "critical,CA:FALSE",
                         "critical,digitalSignature", "serverAuth");
    F.stranger_cert = mk_signing("stranger", F.stranger_key, F.other_ca, F.other_key, T2020, T2060);
    F.fake_cert = mk_signing("fake", F.fake_key, F.impostor_ca, F.impostor_key, T2020, T2060);
    F.deep_cert = mk_signing("signer deep", F.deep_key, F.inter_ca, F.inter_key, T2020, T2060);
    F.ec = mk_signer(F.ec_key, F.ec_cert, NULL);
    F.rsa = mk_signer(F.rsa_key, F.rsa_cert, NULL);
    F.old = mk_signer(F.old_key, F.old_cert, NULL);
    F.stranger = mk_signer(F.stranger_key, F.stranger_cert, NULL);
    F.fake = mk_signer(F.fake_key, F.fake_cert, NULL);

    STACK_OF(X509) *cas = sk_X509_new_null();
    sk_X509_push(cas, F.ca);
    char err[256] = "";
    assert_int_equal(cms_trust_new(cas, &F.trust, err, sizeof(err)), ST_OK);
    sk_X509_free(cas);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cms_trust_free(F.trust);
    cms_signer_free(F.ec);
    cms_signer_free(F.rsa);
    cms_signer_free(F.old);
    cms_signer_free(F.stranger);
    cms_signer_free(F.fake);
    X509 *certs[] = {F.ca,       F.other_ca, F.impostor_ca,   F.inter_ca,  F.ec_cert,  F.rsa_cert,
                     F.old_cert, F.tls_cert, F.stranger_cert, F.fake_cert, F.deep_cert};
    for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
        X509_free(certs[i]);
    EVP_PKEY *keys[] = {F.ca_key,   F.other_key, F.impostor_key, F.inter_key,
                        F.ec_key,   F.rsa_key,   F.old_key,      F.tls_key,
                        F.fake_key, F.deep_key,  F.stranger_key};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        EVP_PKEY_free(keys[i]);
    return 0;
}

/* Signs with the module; the call must succeed. */
static unsigned char *sign_ok(const cms_signer *s, const void *data, size_t len, int64_t t,
                              size_t *siglen)
{
    unsigned char *sig = NULL;
    char err[256] = "";
    int rc = cms_sign(s, data, len, t, &sig, siglen, err, sizeof(err));
    if (rc != ST_OK)
        fail_msg("cms_sign: %s", err);
    assert_non_null(sig);
    return sig;
}

/*
 * Signs with OpenSSL directly, skipping the module's checks, to make
 * signatures it refuses to issue (outside validity, wrong purpose,
 * embedded content).  Returns OPENSSL_malloc'ed DER.
 */
static unsigned char *raw_sign_md(X509 *cert, EVP_PKEY *key, const EVP_MD *md, const void *data,
                                  size_t len, int64_t t, int detached, size_t *siglen)
{
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | (detached ? CMS_DETACHED : 0);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    assert_non_null(cms);
    CMS_SignerInfo *si = CMS_add1_signer(cms, cert, key, md, flags);
    assert_non_null(si);
    ASN1_TIME *at = ASN1_TIME_set(NULL, (time_t)t);
    assert_int_equal(
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(at), at, -1), 1);
    ASN1_TIME_free(at);
    BIO *in = BIO_new_mem_buf(data, (int)len);
    assert_int_equal(CMS_final(cms, in, NULL, flags), 1);
    unsigned char *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    *siglen = (size_t)n;
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    return der;
}

/* raw_sign_md() with SHA-256. */
static unsigned char *raw_sign(X509 *cert, EVP_PKEY *key, const void *data, size_t len, int64_t t,
                               int detached, size_t *siglen)
{
    return raw_sign_md(cert, key, EVP_sha256(), data, len, t, detached, siglen);
}

static void test_sign_verify_ec(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.ec, "abc", 3, T_GEN, &siglen);
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, "abc", 3, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_int_equal(r.verdict, CMS_VALID);
    assert_int_equal(r.format, CMS_SIG_DER);
    assert_string_equal(r.reason, "");
    assert_true(r.signed_at == T_GEN);
    assert_string_equal(r.content_sha256, ABC_SHA256);
    /* RFC 2253 lists the last RDN first: we added O, then CN. */
    assert_string_equal(r.signer, "CN=signer EC,O=Slattest Tests");
    /* The fingerprint names the certificate the signer was made with. */
    char fp[PKI_FINGERPRINT_SIZE];
    assert_int_equal(pki_cert_fingerprint(F.ec_cert, fp), ST_OK);
    assert_string_equal(r.signer_fingerprint, fp);
    assert_string_equal(cms_signer_fingerprint(F.ec), fp);
    assert_ptr_equal(cms_signer_cert(F.ec), F.ec_cert);
    assert_string_equal(cms_verdict_name(r.verdict), "valid");
    assert_string_equal(cms_sig_format_name(r.format), "der");
    free(sig);

    /* Empty content is signable and verifiable too. */
    sig = sign_ok(F.ec, NULL, 0, T_GEN, &siglen);
    assert_int_equal(cms_verify(F.trust, NULL, 0, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    /* SHA-256 of the empty string, FIPS 180-2 / NIST examples. */
    assert_string_equal(r.content_sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(sig);
}

/* Decodes a DER signature with OpenSSL (test side) and returns its signer info. */
static CMS_SignerInfo *decode_si(const unsigned char *sig, size_t siglen, CMS_ContentInfo **cms)
{
    const unsigned char *p = sig;
    *cms = d2i_CMS_ContentInfo(NULL, &p, (long)siglen);
    assert_non_null(*cms);
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(*cms);
    assert_int_equal(sk_CMS_SignerInfo_num(sis), 1);
    return sk_CMS_SignerInfo_value(sis, 0);
}

static void test_signed_attributes(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &siglen);
    CMS_ContentInfo *cms = NULL;
    CMS_SignerInfo *si = decode_si(sig, siglen, &cms);

    assert_int_equal(CMS_is_detached(cms), 1);
    /* Exactly content type, signing time, message digest: no S/MIME caps. */
    assert_int_equal(CMS_signed_get_attr_count(si), 3);
    assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
    assert_true(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
    assert_true(CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities, -1) < 0);
    /* 2026-11-01T08:00:00Z as UTCTime is YYMMDDHHMMSSZ = 261101080000Z. */
    const ASN1_STRING *t =
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_signingTime), -3, V_ASN1_UTCTIME);
    assert_non_null(t);
    assert_int_equal(ASN1_STRING_length(t), 13);
    assert_memory_equal(ASN1_STRING_get0_data(t), "261101080000Z", 13);
    X509_ALGOR *dig = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    const ASN1_OBJECT *dobj = NULL;
    X509_ALGOR_get0(&dobj, NULL, NULL, dig);
    assert_int_equal(OBJ_obj2nid(dobj), NID_sha256);
    /* The signer certificate travels with the signature. */
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    assert_int_equal(sk_X509_num(certs), 1);
    assert_int_equal(X509_cmp(sk_X509_value(certs, 0), F.ec_cert), 0);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    free(sig);

    /* From 2050 on, RFC 5652 wants GeneralizedTime: 20500101010000Z. */
    sig = sign_ok(F.ec, F.content, CONTENT_LEN, T2050, &siglen);
    si = decode_si(sig, siglen, &cms);
    t = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_signingTime), -3,
                                    V_ASN1_GENERALIZEDTIME);
    assert_non_null(t);
    assert_memory_equal(ASN1_STRING_get0_data(t), "20500101010000Z", 15);
    CMS_ContentInfo_free(cms);
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_true(r.signed_at == T2050);
    free(sig);
}

static void test_content_changed(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &siglen);
    unsigned char changed[CONTENT_LEN];
    memcpy(changed, F.content, CONTENT_LEN);
    changed[1234] ^= 0x01;
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, changed, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_CONTENT_CHANGED);
    assert_non_null(strstr(r.reason, "content changed"));
    assert_non_null(strstr(r.reason, "SHA-256 digest"));
    assert_string_equal(cms_verdict_name(r.verdict), "content_changed");
    /* One byte short, and no content at all. */
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN - 1, sig, siglen, &r), ST_OK);
    assert_int_equal(r.verdict, CMS_CONTENT_CHANGED);
    assert_int_equal(cms_verify(F.trust, NULL, 0, sig, siglen, &r), ST_OK);
    assert_int_equal(r.verdict, CMS_CONTENT_CHANGED);
    /* The original still verifies. */
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    free(sig);
}

static void test_digest_algorithms(void **state)
{
    (void)state;
    cms_verify_result r;
    size_t siglen = 0;
    /* SHA-384 is accepted, and the content is checked with it. */
    unsigned char *sig =
        raw_sign_md(F.ec_cert, F.ec_key, EVP_sha384(), F.content, CONTENT_LEN, T_GEN, 1, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN - 1, sig, siglen, &r), ST_OK);
    assert_int_equal(r.verdict, CMS_CONTENT_CHANGED);
    assert_non_null(strstr(r.reason, "SHA-384 digest"));
    OPENSSL_free(sig);
    /* SHA-1 is not. */
    sig = raw_sign_md(F.ec_cert, F.ec_key, EVP_sha1(), F.content, CONTENT_LEN, T_GEN, 1, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_ERR_INVALID);
    assert_int_equal(r.verdict, CMS_MALFORMED);
    assert_non_null(strstr(r.reason, "SHA1 not accepted"));
    OPENSSL_free(sig);
}

static void test_signature_tampered(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.rsa, F.content, CONTENT_LEN, T_GEN, &siglen);
    /*
     * The RSA signature value is the last 256 bytes of the DER (nothing
     * follows it: no unsigned attributes).  Flipping one bit in it leaves
     * the structure parseable and the digest intact.
     */
    sig[siglen - 10] ^= 0x01;
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_BAD_SIGNATURE);
    assert_non_null(strstr(r.reason, "does not verify"));
    free(sig);
}

static void test_untrusted_signers(void **state)
{
    (void)state;
    cms_verify_result r;
    size_t siglen = 0;
    /* A signer under an unrelated CA. */
    unsigned char *sig = sign_ok(F.stranger, F.content, CONTENT_LEN, T_GEN, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_UNTRUSTED);
    assert_non_null(strstr(r.reason, "does not chain to a trusted CA"));
    /* The diagnosis names who signed. */
    assert_string_equal(r.signer, "CN=stranger,O=Slattest Tests");

    /* Trusting both CAs (a two-certificate CA file) makes it valid. */
    STACK_OF(X509) *cas = sk_X509_new_null();
    sk_X509_push(cas, F.ca);
    sk_X509_push(cas, F.other_ca);
    cms_trust *both = NULL;
    char err[256] = "";
    assert_int_equal(cms_trust_new(cas, &both, err, sizeof(err)), ST_OK);
    assert_int_equal(cms_verify(both, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    cms_trust_free(both);
    sk_X509_free(cas);
    free(sig);

    /* A CA that copies our CA's name but not its key. */
    sig = sign_ok(F.fake, F.content, CONTENT_LEN, T_GEN, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_UNTRUSTED);
    free(sig);

    cms_trust_free(NULL);
    STACK_OF(X509) *empty = sk_X509_new_null();
    assert_int_equal(cms_trust_new(empty, &both, err, sizeof(err)), ST_ERR_INVALID);
    assert_null(both);
    sk_X509_free(empty);
}

static void test_intermediate_chain(void **state)
{
    (void)state;
    cms_verify_result r;
    size_t siglen = 0;
    /* The signer ships the intermediate; the trust store has only the root. */
    cms_signer *deep = mk_signer(F.deep_key, F.deep_cert, F.inter_ca);
    unsigned char *sig = sign_ok(deep, F.content, CONTENT_LEN, T_GEN, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    free(sig);
    cms_signer_free(deep);

    /* Without the intermediate the chain cannot be built. */
    deep = mk_signer(F.deep_key, F.deep_cert, NULL);
    sig = sign_ok(deep, F.content, CONTENT_LEN, T_GEN, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.verdict, CMS_UNTRUSTED);
    free(sig);
    cms_signer_free(deep);
}

static void test_validity_at_signing_time(void **state)
{
    (void)state;
    cms_verify_result r;
    size_t siglen = 0;
    /*
     * The certificate was valid during 2020 only; today it has expired.
     * Signed 2020-06-01 while valid: still valid, because the chain is
     * checked at the signing time.
     */
    unsigned char *sig = sign_ok(F.old, F.content, CONTENT_LEN, T2020_JUN, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_true(r.signed_at == T2020_JUN);
    free(sig);

    /* The module refuses to sign outside the validity... */
    char err[256] = "";
    unsigned char *none = NULL;
    assert_int_equal(
        cms_sign(F.old, F.content, CONTENT_LEN, T2022, &none, &siglen, err, sizeof(err)),
        ST_ERR_INVALID);
    assert_null(none);
    assert_non_null(strstr(err, "outside the certificate's validity"));
    assert_int_equal(cms_sign(F.old, F.content, CONTENT_LEN, -1, &none, &siglen, err, sizeof(err)),
                     ST_ERR_INVALID);

    /* ...and a signature made after expiry anyway is invalid. */
    sig = raw_sign(F.old_cert, F.old_key, F.content, CONTENT_LEN, T2022, 1, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_CERT_EXPIRED);
    assert_non_null(strstr(r.reason, "expired at signing time"));
    assert_non_null(strstr(r.reason, "valid until 2021-01-01T00:00:00Z"));
    assert_non_null(strstr(r.reason, "signed at 2022-01-01T00:00:00Z"));
    assert_true(r.signed_at == T2022);
    OPENSSL_free(sig);

    /* Before the certificate's notBefore. */
    sig = raw_sign(F.old_cert, F.old_key, F.content, CONTENT_LEN, T2019_JUN, 1, &siglen);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.verdict, CMS_CERT_NOT_YET_VALID);
    assert_non_null(strstr(r.reason, "not yet valid at signing time"));
    OPENSSL_free(sig);
}

static void test_purpose(void **state)
{
    (void)state;
    /* A TLS certificate (extendedKeyUsage serverAuth) cannot make a signer... */
    STACK_OF(X509) *chain = sk_X509_new_null();
    sk_X509_push(chain, F.tls_cert);
    cms_signer *s = NULL;
    char err[256] = "";
    assert_int_equal(cms_signer_new(F.tls_key, chain, &s, err, sizeof(err)), ST_ERR_INVALID);
    assert_null(s);
    assert_non_null(strstr(err, "emailProtection"));
    sk_X509_free(chain);
    /* ...and its signatures are refused for the same reason openssl would. */
    size_t siglen = 0;
    unsigned char *sig = raw_sign(F.tls_cert, F.tls_key, F.content, CONTENT_LEN, T_GEN, 1, &siglen);
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, sig, siglen, &r), ST_OK);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_WRONG_PURPOSE);
    assert_non_null(strstr(r.reason, "S/MIME signing"));
    OPENSSL_free(sig);
}

static void test_signer_refusals(void **state)
{
    (void)state;
    cms_signer *s = NULL;
    char err[256] = "";
    STACK_OF(X509) *chain = sk_X509_new_null();
    assert_int_equal(cms_signer_new(F.ec_key, chain, &s, err, sizeof(err)), ST_ERR_INVALID);
    sk_X509_push(chain, F.rsa_cert);
    /* The key of another certificate. */
    assert_int_equal(cms_signer_new(F.ec_key, chain, &s, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, "does not match"));
    sk_X509_free(chain);

    /* RSA under 2048 bits, and a key type we do not sign with. */
    EVP_PKEY *small = EVP_RSA_gen(1024);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(small);
    assert_non_null(ed);
    X509 *small_cert = mk_signing("small", small, F.ca, F.ca_key, T2020, T2060);
    X509 *ed_cert = mk_cert("ed", ed, F.ca, F.ca_key, T2020, T2060, "critical,CA:FALSE",
                            "critical,digitalSignature", "emailProtection");
    chain = sk_X509_new_null();
    sk_X509_push(chain, small_cert);
    assert_int_equal(cms_signer_new(small, chain, &s, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, "1024 bits"));
    sk_X509_set(chain, 0, ed_cert);
    assert_int_equal(cms_signer_new(ed, chain, &s, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, "only RSA and EC"));
    assert_null(s);
    sk_X509_free(chain);
    X509_free(small_cert);
    X509_free(ed_cert);
    EVP_PKEY_free(small);
    EVP_PKEY_free(ed);
    cms_signer_free(NULL);
}

static void check_malformed(const void *sig, size_t len, int want_rc, cms_sig_format want_format)
{
    cms_verify_result r;
    int rc = cms_verify(F.trust, "abc", 3, sig, len, &r);
    assert_int_equal(rc, want_rc);
    assert_int_equal(r.valid, 0);
    assert_int_equal(r.verdict, CMS_MALFORMED);
    assert_int_equal(r.format, want_format);
    assert_true(r.reason[0] != '\0');
    /* The content digest is known even when the signature is garbage. */
    assert_string_equal(r.content_sha256, ABC_SHA256);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_malformed_signatures(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.ec, "abc", 3, T_GEN, &siglen);

    check_malformed(NULL, 0, ST_ERR_INVALID, CMS_SIG_UNKNOWN);
    check_malformed(sig, 0, ST_ERR_INVALID, CMS_SIG_UNKNOWN);
    check_malformed("hello world", 11, ST_ERR_INVALID, CMS_SIG_UNKNOWN);
    /* Starts like DER (a SEQUENCE), then nonsense. */
    check_malformed("\x30\x82\xff\xff\x01\x02", 6, ST_ERR_INVALID, CMS_SIG_DER);
    /* Every truncation of a good signature. */
    for (size_t n = 1; n < siglen; n++)
        check_malformed(sig, n, ST_ERR_INVALID, CMS_SIG_DER);
    /* One byte too many. */
    unsigned char *longer = malloc(siglen + 1);
    memcpy(longer, sig, siglen);
    longer[siglen] = 0;
    check_malformed(longer, siglen + 1, ST_ERR_INVALID, CMS_SIG_DER);
    free(longer);
    static const char bad_pem[] = "-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n";
    check_malformed(bad_pem, strlen(bad_pem), ST_ERR_INVALID, CMS_SIG_PEM);
    /* Over the size limit. */
    unsigned char *huge = calloc(1, CMS_SIG_MAX + 1);
    huge[0] = 0x30;
    check_malformed(huge, CMS_SIG_MAX + 1, ST_ERR_TOO_LARGE, CMS_SIG_UNKNOWN);
    free(huge);
    /* A certificate is DER but not CMS. */
    unsigned char *der = NULL;
    int n = i2d_X509(F.ca, &der);
    check_malformed(der, (size_t)n, ST_ERR_INVALID, CMS_SIG_DER);
    OPENSSL_free(der);
    free(sig);

    /* A SignedData that carries its content is not a detached report signature. */
    sig = raw_sign(F.ec_cert, F.ec_key, "abc", 3, T_GEN, 0, &siglen);
    check_malformed(sig, siglen, ST_ERR_INVALID, CMS_SIG_DER);
    OPENSSL_free(sig);
}

/* The DER signature as PEM with the given label, via OpenSSL's encoder. */
static char *to_pem(const unsigned char *der, size_t len, const char *label, const char *prefix)
{
    BIO *bio = BIO_new(BIO_s_mem());
    BIO_puts(bio, prefix);
    assert_true(PEM_write_bio(bio, label, "", der, (long)len) > 0);
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    char *out = malloc((size_t)n + 1);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

static void test_pem_signature(void **state)
{
    (void)state;
    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &siglen);
    const char *labels[] = {"CMS", "PKCS7"};
    for (size_t i = 0; i < 2; i++) {
        char *pem = to_pem(sig, siglen, labels[i], i == 0 ? "" : "\r\n \n");
        cms_verify_result r;
        assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, pem, strlen(pem), &r), ST_OK);
        assert_int_equal(r.valid, 1);
        assert_int_equal(r.format, CMS_SIG_PEM);
        assert_string_equal(cms_sig_format_name(r.format), "pem");
        assert_true(r.signed_at == T_GEN);
        free(pem);
    }
    free(sig);
}

static void test_rsa_is_deterministic(void **state)
{
    (void)state;
    size_t len1 = 0, len2 = 0, len3 = 0;
    unsigned char *a = sign_ok(F.rsa, F.content, CONTENT_LEN, T_GEN, &len1);
    unsigned char *b = sign_ok(F.rsa, F.content, CONTENT_LEN, T_GEN, &len2);
    unsigned char *c = sign_ok(F.rsa, F.content, CONTENT_LEN, T_GEN + 1, &len3);
    assert_int_equal(len1, len2);
    assert_memory_equal(a, b, len1);
    /* One second later is another signature: the time is signed. */
    assert_true(len1 != len3 || memcmp(a, c, len1) != 0);
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, a, len1, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_string_equal(r.signer, "CN=signer RSA,O=Slattest Tests");
    free(a);
    free(b);
    free(c);

    /* ECDSA draws a random nonce: both verify, the bytes differ. */
    a = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &len1);
    b = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &len2);
    assert_true(len1 != len2 || memcmp(a, b, len1) != 0);
    assert_int_equal(cms_verify(F.trust, F.content, CONTENT_LEN, b, len2, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    free(a);
    free(b);
}

/*
 * The reader test_stream_* hand cms_sign_stream(): the content in pieces
 * of at most `step` bytes (and never more than asked for), or a failure
 * after `fail_after` bytes.
 */
typedef struct piece_reader {
    const unsigned char *data;
    size_t len, off, step, fail_after;
    int calls;
} piece_reader;

static int piece_read(void *arg, void *buf, size_t cap, size_t *got)
{
    piece_reader *r = arg;
    r->calls++;
    if (r->off >= r->fail_after)
        return ST_ERR_IO;
    size_t n = r->len - r->off;
    if (n > cap)
        n = cap;
    if (n > r->step)
        n = r->step;
    memcpy(buf, r->data + r->off, n);
    r->off += n;
    *got = n;
    return ST_OK;
}

/* Signs with cms_sign_stream() over data in pieces of step; the call must succeed. */
static unsigned char *stream_ok(const cms_signer *s, const void *data, size_t len, size_t step,
                                int64_t t, uint8_t sha[32], size_t *siglen)
{
    piece_reader r = {data, len, 0, step, SIZE_MAX, 0};
    unsigned char *sig = NULL;
    char err[256] = "";
    int rc = cms_sign_stream(s, piece_read, &r, t, sha, &sig, siglen, err, sizeof(err));
    if (rc != ST_OK)
        fail_msg("cms_sign_stream: %s", err);
    assert_int_equal(r.off, len);
    assert_non_null(sig);
    return sig;
}

/* len bytes that repeat no short pattern (xorshift32), so a dropped or doubled piece shows. */
static unsigned char *noise(size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/*
 * The streamed signature is the in-memory one, byte for byte (RSA is
 * deterministic), for sizes around the reader's 64 KiB buffer and the
 * digest's 1 MiB pieces, in pieces of every shape; and both equal what
 * OpenSSL's own one-shot CMS_final() makes of the whole content (raw_sign,
 * no code of the module).  The returned SHA-256 is EVP_Digest's.
 */
static void test_stream_equals_memory(void **state)
{
    (void)state;
    static const size_t sizes[] = {0,     1,          65535,          65536,
                                   65537, (1u << 20), (1u << 20) + 1, (3u << 20) + 12345};
    static const size_t steps[] = {1, 4093, 65536, SIZE_MAX};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i];
        unsigned char *data = noise(len);
        size_t mlen = 0, rlen = 0;
        unsigned char *mem = sign_ok(F.rsa, data, len, T_GEN, &mlen);
        unsigned char *raw = raw_sign(F.rsa_cert, F.rsa_key, data, len, T_GEN, 1, &rlen);
        assert_int_equal(rlen, mlen);
        assert_memory_equal(raw, mem, mlen);
        uint8_t want[32];
        unsigned int dlen = 0;
        assert_int_equal(EVP_Digest(data, len, want, &dlen, EVP_sha256(), NULL), 1);
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            /* One byte at a time over megabytes is slow and proves nothing more. */
            if (steps[j] == 1 && len > 65537)
                continue;
            uint8_t sha[32];
            memset(sha, 0, sizeof(sha));
            size_t slen = 0;
            unsigned char *st = stream_ok(F.rsa, data, len, steps[j], T_GEN, sha, &slen);
            assert_int_equal(slen, mlen);
            assert_memory_equal(st, mem, mlen);
            assert_memory_equal(sha, want, 32);
            free(st);
        }
        cms_verify_result r;
        assert_int_equal(cms_verify(F.trust, data, len, mem, mlen, &r), ST_OK);
        assert_int_equal(r.valid, 1);
        free(mem);
        OPENSSL_free(raw);
        free(data);
    }
}

/* The SHA-256 cms_sign_stream() hands back, against FIPS 180-2's "abc". */
static void test_stream_sha256(void **state)
{
    (void)state;
    uint8_t sha[32];
    char hex[65];
    size_t len = 0;
    unsigned char *sig = stream_ok(F.ec, "abc", 3, 2, T_GEN, sha, &len);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
    assert_string_equal(hex, ABC_SHA256);
    cms_verify_result r;
    assert_int_equal(cms_verify(F.trust, "abc", 3, sig, len, &r), ST_OK);
    assert_int_equal(r.valid, 1);
    assert_int_equal(r.signed_at, T_GEN);
    free(sig);
    /* NULL: no digest wanted. */
    sig = stream_ok(F.ec, "abc", 3, 3, T_GEN, NULL, &len);
    free(sig);
}

/* A reader's failure is the call's, with no signature; the signer's checks still apply. */
static void test_stream_refusals(void **state)
{
    (void)state;
    unsigned char *data = noise(200000);
    piece_reader r = {data, 200000, 0, SIZE_MAX, 131072, 0};
    unsigned char *sig = (unsigned char *)1;
    size_t len = 99;
    char err[256] = "";
    assert_int_equal(
        cms_sign_stream(F.rsa, piece_read, &r, T_GEN, NULL, &sig, &len, err, sizeof(err)),
        ST_ERR_IO);
    assert_null(sig);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "reading the content"));
    /* Outside the certificate's validity: refused before reading anything. */
    piece_reader r2 = {data, 200000, 0, SIZE_MAX, SIZE_MAX, 0};
    assert_int_equal(
        cms_sign_stream(F.old, piece_read, &r2, T2022, NULL, &sig, &len, err, sizeof(err)),
        ST_ERR_INVALID);
    assert_int_equal(r2.calls, 0);
    assert_null(sig);
    free(data);
}

/* One thread's share of test_threads: sign and verify with shared objects. */
static void *thread_main(void *arg)
{
    const cms_signer *s = arg;
    for (int i = 0; i < 20; i++) {
        unsigned char *sig = NULL;
        size_t len = 0;
        char err[256];
        if (cms_sign(s, F.content, CONTENT_LEN, T_GEN + i, &sig, &len, err, sizeof(err)) != ST_OK)
            return (void *)1;
        cms_verify_result r;
        int rc = cms_verify(F.trust, F.content, CONTENT_LEN, sig, len, &r);
        free(sig);
        if (rc != ST_OK || !r.valid || r.signed_at != T_GEN + i)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[2];
    assert_int_equal(pthread_create(&t[0], NULL, thread_main, F.ec), 0);
    assert_int_equal(pthread_create(&t[1], NULL, thread_main, F.ec), 0);
    for (int i = 0; i < 2; i++) {
        void *ret = (void *)1;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
}

/* Writes len bytes to dir/name. */
static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Runs a shell command in dir, output discarded; returns its exit status. */
static int run_in(const char *dir, const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof(line), "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define OPENSSL_VERIFY                                                                             \
    "openssl cms -verify -binary -inform DER -in R.p7s -content R.xlsx -CAfile ca.pem "            \
    "-out /dev/null"

/*
 * The auditor's path: the real openssl command line, an independent CMS
 * implementation, must accept what we sign and reject what we reject.
 */
static void test_openssl_cli(void **state)
{
    (void)state;
    if (system("openssl version >/dev/null 2>&1") != 0)
        skip();
    char dir[] = "/tmp/slattest-cms-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *ca_pem = NULL;
    size_t ca_len = 0;
    assert_int_equal(pki_cert_pem(F.ca, &ca_pem, &ca_len), ST_OK);
    put_file(dir, "ca.pem", ca_pem, ca_len);
    free(ca_pem);
    put_file(dir, "R.xlsx", F.content, CONTENT_LEN);

    size_t siglen = 0;
    unsigned char *sig = sign_ok(F.rsa, F.content, CONTENT_LEN, T_GEN, &siglen);
    put_file(dir, "R.p7s", sig, siglen);
    assert_int_equal(run_in(dir, OPENSSL_VERIFY), 0);
    /* openssl's own reading of the attributes: the fixed time, no extras. */
    assert_int_equal(run_in(dir, "openssl cms -cmsout -print -inform DER -in R.p7s | "
                                 "grep -q 'UTCTIME:Nov  1 08:00:00 2026 GMT'"),
                     0);
    assert_int_equal(run_in(dir, "openssl cms -cmsout -print -inform DER -in R.p7s | "
                                 "grep -q 'SMIME Capabilities'"),
                     1);
    /* PEM, as openssl reads it with -inform PEM. */
    char *pem = to_pem(sig, siglen, "CMS", "");
    put_file(dir, "R.pem", pem, strlen(pem));
    free(pem);
    assert_int_equal(run_in(dir, "openssl cms -verify -binary -inform PEM -in R.pem "
                                 "-content R.xlsx -CAfile ca.pem -out /dev/null"),
                     0);
    free(sig);

    sig = sign_ok(F.ec, F.content, CONTENT_LEN, T_GEN, &siglen);
    put_file(dir, "R.p7s", sig, siglen);
    assert_int_equal(run_in(dir, OPENSSL_VERIFY), 0);
    free(sig);

    /* One content byte flipped: openssl rejects too. */
    unsigned char changed[CONTENT_LEN];
    memcpy(changed, F.content, CONTENT_LEN);
    changed[1234] ^= 0x01;
    put_file(dir, "R.xlsx", changed, CONTENT_LEN);
    assert_true(run_in(dir, OPENSSL_VERIFY) != 0);
    put_file(dir, "R.xlsx", F.content, CONTENT_LEN);

    /* The purpose check agrees: a TLS certificate's signature is refused. */
    sig = raw_sign(F.tls_cert, F.tls_key, F.content, CONTENT_LEN, T_GEN, 1, &siglen);
    put_file(dir, "R.p7s", sig, siglen);
    assert_true(run_in(dir, OPENSSL_VERIFY) != 0);
    OPENSSL_free(sig);

    /*
     * An expired certificate's signature made while valid: openssl checks
     * at the current time unless told the signing time with -attime; with
     * it, openssl agrees with cms_verify().
     */
    sig = sign_ok(F.old, F.content, CONTENT_LEN, T2020_JUN, &siglen);
    put_file(dir, "R.p7s", sig, siglen);
    assert_true(run_in(dir, OPENSSL_VERIFY) != 0);
    assert_int_equal(run_in(dir, OPENSSL_VERIFY " -attime 1590969600"), 0);
    free(sig);

    /* A streamed signature of a few megabytes, as a built workbook gets. */
    size_t big_len = (5u << 20) + 321;
    unsigned char *big = noise(big_len);
    put_file(dir, "R.xlsx", big, big_len);
    sig = stream_ok(F.rsa, big, big_len, 65536, T_GEN, NULL, &siglen);
    put_file(dir, "R.p7s", sig, siglen);
    assert_int_equal(run_in(dir, OPENSSL_VERIFY), 0);
    free(sig);
    big[big_len - 1] ^= 0x80;
    put_file(dir, "R.xlsx", big, big_len);
    assert_true(run_in(dir, OPENSSL_VERIFY) != 0);
    free(big);

    char rm[256];
    snprintf(rm, sizeof(rm), "rm -rf -- '%s'", dir);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_ec),
        cmocka_unit_test(test_signed_attributes),
        cmocka_unit_test(test_content_changed),
        cmocka_unit_test(test_digest_algorithms),
        cmocka_unit_test(test_signature_tampered),
        cmocka_unit_test(test_untrusted_signers),
        cmocka_unit_test(test_intermediate_chain),
        cmocka_unit_test(test_validity_at_signing_time),
        cmocka_unit_test(test_purpose),
        cmocka_unit_test(test_signer_refusals),
        cmocka_unit_test(test_malformed_signatures),
        cmocka_unit_test(test_pem_signature),
        cmocka_unit_test(test_rsa_is_deterministic),
        cmocka_unit_test(test_stream_equals_memory),
        cmocka_unit_test(test_stream_sha256),
        cmocka_unit_test(test_stream_refusals),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_openssl_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
