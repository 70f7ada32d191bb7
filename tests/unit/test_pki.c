/*
 * Unit tests for reports/pki.c: certificate facts against a fixed
 * certificate whose expected values were read with the openssl command
 * line, time conversion against hand-worked instants, key and certificate
 * parsing, and the key file permission check (files in a mkdtemp dir).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pki.h"
#include "status.h"

/*
 * A self-signed P-256 certificate with the signing profile, made once with
 *   openssl req -new -subj "/O=示例公司/CN=slattest test signer" -utf8 ...
 *   openssl ca -selfsign -startdate 20200101000000Z \
 *       -enddate 20500101000000Z -extensions sign_ext
 * (sign_ext: basicConstraints critical CA:FALSE; keyUsage critical
 * digitalSignature, nonRepudiation; extendedKeyUsage emailProtection).
 * `openssl ca` stores the subject as CN then O.
 */
static const char FIXED_PEM[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBszCCAVigAwIBAgICEAEwCgYIKoZIzj0EAwIwNjEdMBsGA1UEAwwUc2xhdHRl\n"
                                "c3QgdGVzdCBzaWduZXIxFTATBgNVBAoMDOekuuS+i+WFrOWPuDAgFw0yMDAxMDEw\n"
                                "MDAwMDBaGA8yMDUwMDEwMTAwMDAwMFowNjEdMBsGA1UEAwwUc2xhdHRlc3QgdGVz\n"
                                "dCBzaWduZXIxFTATBgNVBAoMDOekuuS+i+WFrOWPuDBZMBMGByqGSM49AgEGCCqG\n"
                                "SM49AwEHA0IABFn5tY9TGtTfjiSmDETGai9AB+kGEzlkG+Nv5Mh9zEvEWa+MMnn8\n"
                                "HO8Yn2J7kV9WxVOZp22KnjOaq6lxRnIblUCjVDBSMAwGA1UdEwEB/wQCMAAwDgYD\n"
                                "VR0PAQH/BAQDAgbAMBMGA1UdJQQMMAoGCCsGAQUFBwMEMB0GA1UdDgQWBBQYoM0b\n"
                                "GNUPWzTpHheBT4sBmaoYmTAKBggqhkjOPQQDAgNJADBGAiEAx2WFXkwlzJ3zt0Ow\n"
                                "O33YCMKHhRTmrp0Keh1EyYxJ5HcCIQC/ZwzeMFEVdVAmsg36p3f2YT9hjQN6ay+X\n"
                                "EM1uj/YV+A==\n"
                                "-----END CERTIFICATE-----\n";

/*
 * `openssl x509 -noout -fingerprint -sha256` printed
 * 06:CC:01:C1:11:6F:69:60:1A:81:EA:12:57:C0:7A:EB:5E:C4:58:5F:4A:4D:D6:9C:
 * C7:36:5F:BA:8D:40:CC:65 - lowercased, colons removed:
 */
static const char FIXED_FP[] = "06cc01c1116f69601a81ea1257c07aeb5ec4585f4a4dd69cc7365fba8d40cc65";

/*
 * `openssl x509 -noout -subject -nameopt RFC2253,-esc_msb` printed this
 * (RFC 2253 lists the last RDN first, so O before CN); 示例公司 is UTF-8.
 */
static const char FIXED_SUBJECT[] = "O=\xe7\xa4\xba\xe4\xbe\x8b\xe5\x85\xac\xe5\x8f\xb8,"
                                    "CN=slattest test signer";

/*
 * notBefore 2020-01-01T00:00:00Z: 50 years of 365 days plus the 12 leap
 * days of 1972..2016 = 18262 days * 86400 = 1577836800.
 * notAfter 2050-01-01T00:00:00Z: 80 * 365 + 20 leap days (1972..2048) =
 * 29220 days * 86400 = 2524608000.
 */
#define FIXED_NOT_BEFORE INT64_C(1577836800)
#define FIXED_NOT_AFTER  INT64_C(2524608000)

static STACK_OF(X509) * parse_ok(const void *data, size_t len)
{
    STACK_OF(X509) *certs = NULL;
    char err[256] = "";
    assert_int_equal(pki_certs_parse(data, len, &certs, err, sizeof(err)), ST_OK);
    assert_non_null(certs);
    return certs;
}

static void test_fixed_certificate_facts(void **state)
{
    (void)state;
    STACK_OF(X509) *certs = parse_ok(FIXED_PEM, strlen(FIXED_PEM));
    assert_int_equal(sk_X509_num(certs), 1);
    X509 *x = sk_X509_value(certs, 0);

    char fp[PKI_FINGERPRINT_SIZE];
    assert_int_equal(pki_cert_fingerprint(x, fp), ST_OK);
    assert_string_equal(fp, FIXED_FP);

    char subject[256];
    assert_int_equal(pki_cert_subject(x, subject, sizeof(subject)), ST_OK);
    assert_string_equal(subject, FIXED_SUBJECT);
    /* Too small a buffer is an error, not a silent cut. */
    assert_int_equal(pki_cert_subject(x, subject, 10), ST_ERR_TOO_LARGE);
    assert_string_equal(subject, "");

    int64_t nb = 0, na = 0;
    assert_int_equal(pki_cert_validity(x, &nb, &na), ST_OK);
    assert_true(nb == FIXED_NOT_BEFORE);
    assert_true(na == FIXED_NOT_AFTER);

    /* PEM encoding is canonical: we give back the openssl-written text. */
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(pki_cert_pem(x, &pem, &len), ST_OK);
    assert_int_equal(len, strlen(FIXED_PEM));
    assert_string_equal(pem, FIXED_PEM);
    free(pem);

    char err[256] = "";
    assert_int_equal(pki_cert_check_signing(x, err, sizeof(err)), ST_OK);
    pki_certs_free(certs);
}

/* The fixed certificate as DER, via OpenSSL directly (test-side decoding). */
static unsigned char *fixed_der(size_t *len)
{
    BIO *bio = BIO_new_mem_buf(FIXED_PEM, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(x);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    X509_free(x);
    BIO_free(bio);
    return der;
}

static void test_der_and_bundles(void **state)
{
    (void)state;
    size_t dlen = 0;
    unsigned char *der = fixed_der(&dlen);
    STACK_OF(X509) *certs = parse_ok(der, dlen);
    assert_int_equal(sk_X509_num(certs), 1);
    char fp[PKI_FINGERPRINT_SIZE];
    assert_int_equal(pki_cert_fingerprint(sk_X509_value(certs, 0), fp), ST_OK);
    assert_string_equal(fp, FIXED_FP);
    pki_certs_free(certs);

    /* DER with a byte too many, or one too few, is refused. */
    STACK_OF(X509) *none = NULL;
    char err[256] = "";
    unsigned char *longer = malloc(dlen + 1);
    memcpy(longer, der, dlen);
    longer[dlen] = 0;
    assert_int_equal(pki_certs_parse(longer, dlen + 1, &none, err, sizeof(err)), ST_ERR_INVALID);
    assert_null(none);
    assert_int_equal(pki_certs_parse(der, dlen - 1, &none, err, sizeof(err)), ST_ERR_INVALID);
    free(longer);
    OPENSSL_free(der);

    /* A bundle: two certificates with a non-certificate block between. */
    char bundle[4096];
    int n = snprintf(bundle, sizeof(bundle),
                     "# CA bundle\n%s-----BEGIN PRIVATE KEY-----\nAAAA\n"
                     "-----END PRIVATE KEY-----\n%s",
                     FIXED_PEM, FIXED_PEM);
    assert_true(n > 0 && (size_t)n < sizeof(bundle));
    certs = parse_ok(bundle, (size_t)n);
    assert_int_equal(sk_X509_num(certs), 2);
    pki_certs_free(certs);
    pki_certs_free(NULL);
}

static void test_bad_certificates(void **state)
{
    (void)state;
    STACK_OF(X509) *certs = NULL;
    char err[256] = "";
    assert_int_equal(pki_certs_parse("", 0, &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_int_equal(pki_certs_parse(NULL, 0, &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_int_equal(pki_certs_parse("hello", 5, &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, "no PEM CERTIFICATE"));
    /* Cut in the middle of the base64. */
    assert_int_equal(pki_certs_parse(FIXED_PEM, 200, &certs, err, sizeof(err)), ST_ERR_INVALID);
    /* Corrupt base64 in the second certificate of a bundle. */
    char bundle[4096];
    int n = snprintf(bundle, sizeof(bundle), "%s%s", FIXED_PEM, FIXED_PEM);
    bundle[strlen(FIXED_PEM) + 40] = '*';
    assert_int_equal(pki_certs_parse(bundle, (size_t)n, &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, "certificate 2"));
    /*
     * An encryption header must be refused, not answered by a terminal
     * prompt (the test would hang on a terminal without the callback).
     */
    static const char enc[] = "-----BEGIN CERTIFICATE-----\n"
                              "Proc-Type: 4,ENCRYPTED\n"
                              "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
                              "AAAAAAAAAAAAAAAAAAAAAA==\n"
                              "-----END CERTIFICATE-----\n";
    assert_int_equal(pki_certs_parse(enc, strlen(enc), &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_null(certs);
    assert_int_equal(ERR_peek_error(), 0);
}

static void check_time(const char *text, int64_t want)
{
    ASN1_TIME *t = ASN1_TIME_new();
    assert_int_equal(ASN1_TIME_set_string(t, text), 1);
    int64_t got = 0;
    assert_int_equal(pki_time_to_epoch(t, &got), ST_OK);
    assert_true(got == want);
    ASN1_TIME_free(t);
}

static void test_time_to_epoch(void **state)
{
    (void)state;
    /* 1970-01-01T00:00:00Z is 0 (UTCTime, 13 characters). */
    check_time("700101000000Z", 0);
    /*
     * 2000-02-29T12:34:56Z (GeneralizedTime): 2000-01-01 is 30 * 365 + 7
     * leap days = 10957 days; +31 (January) +28 = 11016 days * 86400 =
     * 951782400; + 12:34:56 = 45296 s -> 951827696.
     */
    check_time("20000229123456Z", INT64_C(951827696));
    /* UTCTime's last instant, 2049-12-31T23:59:59Z: 2524608000 - 1. */
    check_time("491231235959Z", INT64_C(2524607999));
    /* UTCTime "50" is 1950: 20 * 365 + 5 leap days (1952..1968) before 1970. */
    check_time("500101000000Z", -INT64_C(631152000));

    int64_t got = 7;
    assert_int_equal(pki_time_to_epoch(NULL, &got), ST_ERR_INVALID);
    ASN1_TIME *bad = ASN1_STRING_type_new(V_ASN1_GENERALIZEDTIME);
    assert_int_equal(ASN1_STRING_set(bad, "20001399000000Z", -1), 1); /* month 13 */
    assert_int_equal(pki_time_to_epoch(bad, &got), ST_ERR_INVALID);
    ASN1_TIME_free(bad);
}

/* A new P-256 key as PEM, unencrypted or under a passphrase. */
static char *key_pem(EVP_PKEY *key, int encrypted, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (encrypted)
        assert_int_equal(PEM_write_bio_PrivateKey(bio, key, EVP_aes_128_cbc(),
                                                  (unsigned char *)"secret", 6, NULL, NULL),
                         1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    char *out = malloc((size_t)n + 1);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    BIO_free(bio);
    return out;
}

static void test_key_parse(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    size_t len = 0;
    char *pem = key_pem(key, 0, &len);
    EVP_PKEY *got = NULL;
    char err[256] = "";
    assert_int_equal(pki_key_parse(pem, len, &got, err, sizeof(err)), ST_OK);
    assert_int_equal(EVP_PKEY_eq(got, key), 1);
    EVP_PKEY_free(got);
    free(pem);

    pem = key_pem(key, 1, &len);
    assert_int_equal(pki_key_parse(pem, len, &got, err, sizeof(err)), ST_ERR_INVALID);
    assert_null(got);
    assert_non_null(strstr(err, "unencrypted"));
    free(pem);

    assert_int_equal(pki_key_parse("junk", 4, &got, err, sizeof(err)), ST_ERR_INVALID);
    assert_int_equal(pki_key_parse(NULL, 0, &got, err, sizeof(err)), ST_ERR_INVALID);
    assert_int_equal(ERR_peek_error(), 0);
    EVP_PKEY_free(key);
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void test_file_loading(void **state)
{
    (void)state;
    char dir[] = "/tmp/slattest-pki-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char kpath[256], cpath[256], bigpath[256];
    snprintf(kpath, sizeof(kpath), "%s/signing.key", dir);
    snprintf(cpath, sizeof(cpath), "%s/signing.pem", dir);
    snprintf(bigpath, sizeof(bigpath), "%s/big.pem", dir);

    EVP_PKEY *key = EVP_EC_gen("P-256");
    size_t len = 0;
    char *pem = key_pem(key, 0, &len);
    EVP_PKEY *got = NULL;
    char err[512] = "";

    /* 0600 and 0400 are private; any group or other access is refused. */
    write_file(kpath, pem, len, 0600);
    assert_int_equal(pki_key_load(kpath, &got, err, sizeof(err)), ST_OK);
    assert_int_equal(EVP_PKEY_eq(got, key), 1);
    EVP_PKEY_free(got);
    assert_int_equal(chmod(kpath, 0400), 0);
    assert_int_equal(pki_key_load(kpath, &got, err, sizeof(err)), ST_OK);
    EVP_PKEY_free(got);
    assert_int_equal(chmod(kpath, 0640), 0);
    assert_int_equal(pki_key_load(kpath, &got, err, sizeof(err)), ST_ERR_CONFIG);
    assert_null(got);
    assert_non_null(strstr(err, "mode 0640"));
    assert_int_equal(chmod(kpath, 0604), 0);
    assert_int_equal(pki_key_load(kpath, &got, err, sizeof(err)), ST_ERR_CONFIG);
    assert_int_equal(chmod(kpath, 0620), 0);
    assert_int_equal(pki_key_load(kpath, &got, err, sizeof(err)), ST_ERR_CONFIG);

    /* Certificates carry no secret: 0644 is fine. */
    write_file(cpath, FIXED_PEM, strlen(FIXED_PEM), 0644);
    STACK_OF(X509) *certs = NULL;
    assert_int_equal(pki_certs_load(cpath, &certs, err, sizeof(err)), ST_OK);
    assert_int_equal(sk_X509_num(certs), 1);
    pki_certs_free(certs);
    /* A key file given as a certificate file: no certificate in it. */
    assert_int_equal(chmod(kpath, 0600), 0);
    assert_int_equal(pki_certs_load(kpath, &certs, err, sizeof(err)), ST_ERR_INVALID);
    assert_non_null(strstr(err, kpath));

    assert_int_equal(pki_key_load("/nonexistent/slattest.key", &got, err, sizeof(err)), ST_ERR_IO);
    assert_int_equal(pki_certs_load(dir, &certs, err, sizeof(err)), ST_ERR_INVALID);

    char *big = malloc(PKI_FILE_MAX + 1);
    memset(big, '\n', PKI_FILE_MAX + 1);
    write_file(bigpath, big, PKI_FILE_MAX + 1, 0644);
    free(big);
    assert_int_equal(pki_certs_load(bigpath, &certs, err, sizeof(err)), ST_ERR_TOO_LARGE);

    unlink(kpath);
    unlink(cpath);
    unlink(bigpath);
    rmdir(dir);
    free(pem);
    EVP_PKEY_free(key);
}

static void test_ssl_err_clears_queue(void **state)
{
    (void)state;
    char err[128];
    ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    pki_ssl_err(err, sizeof(err), "loading %s", "x");
    /* OpenSSL names PEM_R_NO_START_LINE "no start line". */
    assert_string_equal(err, "loading x: no start line");
    assert_int_equal(ERR_peek_error(), 0);
    pki_ssl_err(err, sizeof(err), "plain");
    assert_string_equal(err, "plain");
    pki_ssl_err(NULL, 0, "nothing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_certificate_facts),
        cmocka_unit_test(test_der_and_bundles),
        cmocka_unit_test(test_bad_certificates),
        cmocka_unit_test(test_time_to_epoch),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_file_loading),
        cmocka_unit_test(test_ssl_err_clears_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
