/*
 * pki.h - keys and certificates: loading, parsing and the facts we publish.
 *
 * This module turns PEM files and bytes into OpenSSL objects for the signer
 * (cms_sign.h) and the verifier (cms_verify.h), and answers the questions
 * the server asks about a certificate: its SHA-256 fingerprint, its PEM text
 * for `GET /v1/certificates`, its subject and validity.
 *
 * Only pki_key_load() and pki_certs_load() touch the file system; every other
 * function is a pure function of its arguments.  Objects returned through an
 * out-pointer are owned by the caller (EVP_PKEY_free, pki_certs_free, free).
 * Nothing here keeps global state: every function may be called from any
 * thread, and concurrently on the same certificate or key (OpenSSL 3 locks
 * its own caches).
 *
 * PEM input never triggers a passphrase prompt: encrypted keys and PEM
 * blocks with an encryption header are refused with ST_ERR_INVALID.
 */
#ifndef SLT_PKI_H
#define SLT_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Buffer size for a fingerprint: 64 lowercase hex digits and a NUL. */
#define PKI_FINGERPRINT_SIZE 65
/* Largest key, certificate or CA file we read or parse (1 MiB). */
#define PKI_FILE_MAX (1u << 20)
/* Most certificates accepted from one file (a CA bundle). */
#define PKI_CERTS_MAX 1000

/*
 * Reads the PEM private key at `path`.  Refuses (ST_ERR_CONFIG) a file that
 * group or others may read or write (anything beyond 0600/0400: a signing
 * key readable by other accounts lets them sign reports as us), a file that
 * is not a regular file, or one over PKI_FILE_MAX.  ST_ERR_IO when the file
 * cannot be opened or read, ST_ERR_INVALID when it holds no usable
 * unencrypted key.  The permission check uses fstat() on the opened file, so
 * it judges the file actually read.  *key is the caller's (EVP_PKEY_free).
 * The key bytes are wiped from memory after parsing.
 */
int pki_key_load(const char *path, EVP_PKEY **key, char *err, size_t errlen);

/*
 * Reads every certificate in the PEM file at `path` (a signing certificate
 * followed by intermediates, or a CA bundle), in file order.  ST_ERR_IO,
 * ST_ERR_TOO_LARGE or ST_ERR_INVALID as pki_certs_parse().  *certs is the
 * caller's (pki_certs_free).
 */
int pki_certs_load(const char *path, STACK_OF(X509) * *certs, char *err, size_t errlen);

/*
 * Parses an unencrypted PEM private key ("PRIVATE KEY", "RSA PRIVATE KEY",
 * "EC PRIVATE KEY") from `len` bytes.  The bytes are not kept.  Key type
 * rules belong to the user (cms_signer_new() accepts RSA and EC).
 */
int pki_key_parse(const void *pem, size_t len, EVP_PKEY **key, char *err, size_t errlen);

/*
 * Parses one or more certificates: PEM "CERTIFICATE" blocks in order (other
 * PEM blocks, such as a key in the same file, are skipped), or a single DER
 * certificate.  At least one certificate is required and at most
 * PKI_CERTS_MAX.  The bytes are not kept; *certs is the caller's.
 */
int pki_certs_parse(const void *data, size_t len, STACK_OF(X509) * *certs, char *err,
                    size_t errlen);

/* Frees a certificate stack and drops its references; NULL is a no-op. */
void pki_certs_free(STACK_OF(X509) * certs);

/*
 * Writes the SHA-256 fingerprint of the certificate's DER encoding as 64
 * lowercase hex digits (no colons) into out.  This is the value
 * `openssl x509 -noout -fingerprint -sha256` prints, lowercased and without
 * colons; reports record it.  ST_ERR_CRYPTO if the certificate cannot be
 * encoded.
 */
int pki_cert_fingerprint(const X509 *cert, char out[PKI_FINGERPRINT_SIZE]);

/*
 * The certificate as PEM text ("-----BEGIN CERTIFICATE-----", 64-column
 * base64, trailing newline) in a new NUL-terminated buffer; *pem is the
 * caller's (free()), *len excludes the NUL.
 */
int pki_cert_pem(const X509 *cert, char **pem, size_t *len);

/* notBefore and notAfter as seconds since the Unix epoch (UTC). */
int pki_cert_validity(const X509 *cert, int64_t *not_before, int64_t *not_after);

/*
 * The subject name in RFC 2253 form ("CN=Signer,O=Example"), with non-ASCII
 * text as UTF-8 rather than escaped.  ST_ERR_TOO_LARGE when it does not fit
 * in outlen bytes (out then holds "" ).
 */
int pki_cert_subject(const X509 *cert, char *out, size_t outlen);

/*
 * Checks that a certificate may sign reports, by OpenSSL's S/MIME signing
 * purpose, the purpose `openssl cms -verify` and cms_verify() enforce:
 * keyUsage, if present, includes digitalSignature or nonRepudiation;
 * extendedKeyUsage, if present, includes emailProtection (and a legacy
 * Netscape cert type, if present, allows S/MIME).  The recommended profile
 * is in cms_sign.h.  ST_ERR_INVALID with the reason
 * in err otherwise.  Not const: OpenSSL caches the parsed extensions.
 */
int pki_cert_check_signing(X509 *cert, char *err, size_t errlen);

/*
 * Converts an ASN.1 UTCTime or GeneralizedTime to seconds since the epoch.
 * ST_ERR_INVALID for a malformed time.
 */
int pki_time_to_epoch(const ASN1_TIME *t, int64_t *out);

/*
 * Writes "<printf message>: <reason of the latest OpenSSL error>" into err
 * (just the message when OpenSSL queued nothing) and empties this thread's
 * OpenSSL error queue, so a later call never reports a stale error.  err may
 * be NULL when errlen is 0.
 */
void pki_ssl_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
