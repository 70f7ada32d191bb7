/* pki.c - keys and certificates: loading, parsing, fingerprints (see pki.h). */
#include "pki.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "status.h"
#include "xmem.h"

/* The part of the file mode a private key file must not have. */
#define PKI_KEY_FORBIDDEN_MODE (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)

void pki_ssl_err(char *err, size_t errlen, const char *fmt, ...)
{
    unsigned long e = ERR_peek_last_error();
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < errlen && e != 0) {
            const char *reason = ERR_reason_error_string(e);
            if (reason != NULL)
                snprintf(err + n, errlen - (size_t)n, ": %s", reason);
            else
                snprintf(err + n, errlen - (size_t)n, ": OpenSSL error %lx", e);
        }
    }
    ERR_clear_error();
}

/*
 * PEM password callback that refuses: without it OpenSSL would prompt on
 * the terminal for an encrypted key or a PEM block with a Proc-Type
 * encryption header, blocking a server or a fuzzer.
 */
static int pki_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Wraps len bytes in a read-only memory BIO (OpenSSL takes an int length). */
static BIO *pki_mem_bio(const void *data, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    return BIO_new_mem_buf(data, (int)len);
}

int pki_key_parse(const void *pem, size_t len, EVP_PKEY **key, char *err, size_t errlen)
{
    int rc = ST_ERR_INVALID;
    BIO *bio = NULL;

    *key = NULL;
    ERR_clear_error();
    if (pem == NULL || len == 0) {
        pki_ssl_err(err, errlen, "private key: empty input");
        goto fail;
    }
    if (len > PKI_FILE_MAX) {
        rc = ST_ERR_TOO_LARGE;
        pki_ssl_err(err, errlen, "private key: larger than %u bytes", PKI_FILE_MAX);
        goto fail;
    }
    bio = pki_mem_bio(pem, len);
    if (bio == NULL) {
        rc = ST_ERR_CRYPTO;
        pki_ssl_err(err, errlen, "private key: cannot create a memory BIO");
        goto fail;
    }
    *key = PEM_read_bio_PrivateKey(bio, NULL, pki_no_password, NULL);
    if (*key == NULL) {
        pki_ssl_err(err, errlen, "private key: no unencrypted PEM private key found");
        goto fail;
    }
    rc = ST_OK;
fail:
    BIO_free(bio);
    return rc;
}

void pki_certs_free(STACK_OF(X509) * certs)
{
    sk_X509_pop_free(certs, X509_free);
}

/* Parses a single DER certificate that must fill all len bytes. */
static X509 *pki_cert_from_der(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len > LONG_MAX)
        return NULL;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != (const unsigned char *)data + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int pki_certs_parse(const void *data, size_t len, STACK_OF(X509) * *certs, char *err, size_t errlen)
{
    int rc = ST_ERR_INVALID;
    BIO *bio = NULL;
    STACK_OF(X509) *sk = NULL;
    X509 *x = NULL;

    *certs = NULL;
    ERR_clear_error();
    if (data == NULL || len == 0) {
        pki_ssl_err(err, errlen, "certificate: empty input");
        goto fail;
    }
    if (len > PKI_FILE_MAX) {
        rc = ST_ERR_TOO_LARGE;
        pki_ssl_err(err, errlen, "certificate: larger than %u bytes", PKI_FILE_MAX);
        goto fail;
    }
    sk = sk_X509_new_null();
    if (sk == NULL) {
        rc = ST_ERR_CRYPTO;
        pki_ssl_err(err, errlen, "certificate: cannot allocate a stack");
        goto fail;
    }
    /* DER is one SEQUENCE (0x30); a text file that happens to start with '0' falls to PEM. */
    if (((const unsigned char *)data)[0] == 0x30 && (x = pki_cert_from_der(data, len)) != NULL) {
        if (!sk_X509_push(sk, x)) {
            rc = ST_ERR_CRYPTO;
            pki_ssl_err(err, errlen, "certificate: cannot store");
            goto fail;
        }
        x = NULL;
        *certs = sk;
        return ST_OK;
    }
    ERR_clear_error();
    bio = pki_mem_bio(data, len);
    if (bio == NULL) {
        rc = ST_ERR_CRYPTO;
        pki_ssl_err(err, errlen, "certificate: cannot create a memory BIO");
        goto fail;
    }
    for (;;) {
        x = PEM_read_bio_X509(bio, NULL, pki_no_password, NULL);
        if (x == NULL)
            break;
        if (sk_X509_num(sk) >= PKI_CERTS_MAX) {
            rc = ST_ERR_TOO_LARGE;
            pki_ssl_err(err, errlen, "certificate: more than %d certificates", PKI_CERTS_MAX);
            goto fail;
        }
        if (!sk_X509_push(sk, x)) {
            rc = ST_ERR_CRYPTO;
            pki_ssl_err(err, errlen, "certificate: cannot store");
            goto fail;
        }
        x = NULL;
    }
    /* The loop ends at end of input (no further BEGIN line) or at a bad block. */
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        pki_ssl_err(err, errlen, "certificate %d: malformed PEM", sk_X509_num(sk) + 1);
        goto fail;
    }
    ERR_clear_error();
    if (sk_X509_num(sk) == 0) {
        pki_ssl_err(err, errlen, "certificate: no PEM CERTIFICATE block or DER certificate");
        goto fail;
    }
    BIO_free(bio);
    *certs = sk;
    return ST_OK;
fail:
    X509_free(x);
    BIO_free(bio);
    pki_certs_free(sk);
    return rc;
}

/*
 * Reads a whole regular file of at most PKI_FILE_MAX bytes.  With
 * `private_key` set, refuses a file that group or others may access.  The
 * checks use fstat() on the open descriptor, so they judge the file read.
 */
static int pki_file_read(const char *path, int private_key, unsigned char **data, size_t *len,
                         char *err, size_t errlen)
{
    int rc = ST_ERR_IO;
    int fd = -1;
    unsigned char *buf = NULL;
    size_t size = 0;
    struct stat st;

    *data = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ST_ERR_INVALID;
        snprintf(err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    if (private_key && (st.st_mode & PKI_KEY_FORBIDDEN_MODE) != 0) {
        rc = ST_ERR_CONFIG;
        snprintf(err, errlen,
                 "%s: private key is accessible by group or others (mode %04o); "
                 "chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
        goto fail;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > PKI_FILE_MAX) {
        rc = ST_ERR_TOO_LARGE;
        snprintf(err, errlen, "%s: larger than %u bytes", path, PKI_FILE_MAX);
        goto fail;
    }
    /* Read up to one byte past the limit, so a file that grew is caught. */
    buf = xmalloc(PKI_FILE_MAX + 1);
    for (;;) {
        ssize_t n = read(fd, buf + size, PKI_FILE_MAX + 1 - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        size += (size_t)n;
        if (size > PKI_FILE_MAX) {
            rc = ST_ERR_TOO_LARGE;
            snprintf(err, errlen, "%s: larger than %u bytes", path, PKI_FILE_MAX);
            goto fail;
        }
    }
    close(fd);
    *data = buf;
    *len = size;
    return ST_OK;
fail:
    if (buf != NULL) {
        OPENSSL_cleanse(buf, size);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

int pki_key_load(const char *path, EVP_PKEY **key, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char detail[256] = "";

    *key = NULL;
    int rc = pki_file_read(path, 1, &data, &len, err, errlen);
    if (rc != ST_OK)
        return rc;
    rc = pki_key_parse(data, len, key, detail, sizeof(detail));
    if (rc != ST_OK)
        snprintf(err, errlen, "%s: %s", path, detail);
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

int pki_certs_load(const char *path, STACK_OF(X509) * *certs, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char detail[256] = "";

    *certs = NULL;
    int rc = pki_file_read(path, 0, &data, &len, err, errlen);
    if (rc != ST_OK)
        return rc;
    rc = pki_certs_parse(data, len, certs, detail, sizeof(detail));
    if (rc != ST_OK)
        snprintf(err, errlen, "%s: %s", path, detail);
    free(data);
    return rc;
}

int pki_cert_fingerprint(const X509 *cert, char out[PKI_FINGERPRINT_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    out[0] = '\0';
    if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
        ERR_clear_error();
        return ST_ERR_CRYPTO;
    }
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[2 * n] = '\0';
    return ST_OK;
}

int pki_cert_pem(const X509 *cert, char **pem, size_t *len)
{
    int rc = ST_ERR_CRYPTO;
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL;

    *pem = NULL;
    *len = 0;
    if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1)
        goto fail;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0 || p == NULL)
        goto fail;
    *pem = xmemdup(p, (size_t)n);
    *len = (size_t)n;
    rc = ST_OK;
fail:
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

int pki_time_to_epoch(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    *out = 0;
    /* ASN1_TIME_to_tm() reads the clock when given NULL: never let it. */
    if (t == NULL || ASN1_TIME_check(t) != 1 || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return ST_ERR_INVALID;
    }
    /*
     * Days from 1970-01-01 to the civil date (proleptic Gregorian), counted
     * in 400-year eras of 146097 days that start on March 1st, so the leap
     * day is the last day of the shifted year.
     */
    int64_t y = (int64_t)tm.tm_year + 1900;
    int64_t m = tm.tm_mon + 1;
    int64_t d = tm.tm_mday;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *out = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return ST_OK;
}

int pki_cert_validity(const X509 *cert, int64_t *not_before, int64_t *not_after)
{
    *not_before = 0;
    *not_after = 0;
    if (pki_time_to_epoch(X509_get0_notBefore(cert), not_before) != ST_OK ||
        pki_time_to_epoch(X509_get0_notAfter(cert), not_after) != ST_OK)
        return ST_ERR_INVALID;
    return ST_OK;
}

int pki_cert_subject(const X509 *cert, char *out, size_t outlen)
{
    int rc = ST_ERR_CRYPTO;
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL;

    if (outlen > 0)
        out[0] = '\0';
    /* RFC 2253, but UTF-8 text stays UTF-8 instead of \XX escapes. */
    unsigned long flags = XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
    if (bio == NULL || X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, flags) < 0)
        goto fail;
    long n = BIO_get_mem_data(bio, &p);
    if (n < 0 || (n > 0 && p == NULL))
        goto fail;
    if ((size_t)n >= outlen) {
        rc = ST_ERR_TOO_LARGE;
        goto fail;
    }
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    rc = ST_OK;
fail:
    ERR_clear_error();
    BIO_free(bio);
    return rc;
}

int pki_cert_check_signing(X509 *cert, char *err, size_t errlen)
{
    ERR_clear_error();
    if (X509_check_purpose(cert, X509_PURPOSE_SMIME_SIGN, 0) != 1) {
        pki_ssl_err(err, errlen,
                    "certificate is not valid for S/MIME signing: it needs keyUsage "
                    "digitalSignature (or nonRepudiation) and extendedKeyUsage "
                    "emailProtection");
        return ST_ERR_INVALID;
    }
    return ST_OK;
}
