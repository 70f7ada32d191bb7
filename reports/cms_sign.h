/*
 * cms_sign.h - detached CMS (PKCS #7) signatures over report bytes.
 *
 * A cms_signer owns a private key and its certificate (plus any
 * intermediates to ship with each signature), checked once when it is made.
 * cms_sign() turns the exact bytes of a workbook into a DER-encoded detached
 * CMS SignedData (RFC 5652):
 *
 *   - digest SHA-256; one SignerInfo identified by issuer and serial number;
 *   - signed attributes: exactly contentType (id-data), signingTime and
 *     messageDigest - no S/MIME capabilities;
 *   - signingTime is the caller's instant (the report's `generated_at`), not
 *     the clock, so a report is reproducible; UTCTime for 1950-2049 and
 *     GeneralizedTime otherwise, as RFC 5652 section 11.3 requires;
 *   - the signer certificate (and intermediates) in the certificates field;
 *   - the content itself is not embedded (detached).
 *
 * Anyone can check the result without our software:
 *   openssl cms -verify -binary -inform DER -in R.p7s -content R.xlsx \
 *       -CAfile ca.pem -out /dev/null
 * (after the certificate has expired add `-attime <signing time, epoch>`:
 * the command line checks the certificate at the current time, cms_verify()
 * at the signing time; see cms_verify.h).
 *
 * Keys.  RSA of at least 2048 bits (PKCS #1 v1.5 signatures) or EC on
 * P-256, P-384 or P-521 (ECDSA); anything else is refused.  RSA PKCS #1 v1.5
 * is deterministic: the same key, bytes and signing time give a
 * byte-identical .p7s, so a reproduced report reproduces its signature too.
 * ECDSA (OpenSSL 3.0) draws a random nonce: two signatures of the same bytes
 * differ, though each verifies; only the workbook, not its signature, is
 * then reproducible byte for byte.  Use RSA where identical signatures
 * matter.
 *
 * The signing certificate profile (what `openssl cms -verify` demands by
 * default through the S/MIME signing purpose, and cms_signer_new() checks):
 *   basicConstraints       = critical, CA:FALSE
 *   keyUsage               = critical, digitalSignature, nonRepudiation
 *   extendedKeyUsage       = emailProtection
 *   subjectKeyIdentifier   = hash
 *   authorityKeyIdentifier = keyid
 * and its issuing CA:
 *   basicConstraints       = critical, CA:TRUE
 *   keyUsage               = critical, keyCertSign, cRLSign
 *   (no extendedKeyUsage, or one that includes emailProtection)
 * A certificate with extendedKeyUsage serverAuth only (a TLS certificate) is
 * refused: the command line above would reject its signatures.
 *
 * Threads: a cms_signer is immutable after cms_signer_new(); cms_sign() and
 * cms_sign_stream() may run on any thread, concurrently with the same signer.
 */
#ifndef SLT_CMS_SIGN_H
#define SLT_CMS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki.h"

typedef struct cms_signer cms_signer;

/*
 * Makes a signer from a private key and a certificate chain: chain[0] is
 * the certificate of `key`, any further certificates are intermediates
 * included in every signature (not the root: the verifier brings that).
 * Refuses (ST_ERR_INVALID, reason in err) a key that does not match
 * chain[0], a key type or size listed as unsupported above, and a
 * certificate that fails the S/MIME signing purpose.  The signer takes its
 * own references to key and certificates: the caller still owns and frees
 * what it passed.  *out is the caller's (cms_signer_free).
 */
int cms_signer_new(EVP_PKEY *key, STACK_OF(X509) * chain, cms_signer **out, char *err,
                   size_t errlen);

/* Frees a signer; NULL is a no-op. */
void cms_signer_free(cms_signer *s);

/*
 * The SHA-256 fingerprint (64 lowercase hex digits) of the signer's
 * certificate, as reports record it.  Owned by the signer, valid while it
 * lives.
 */
const char *cms_signer_fingerprint(const cms_signer *s);

/*
 * The signer's certificate, borrowed (do not free; valid while the signer
 * lives).  Use pki_cert_pem() and pki_cert_validity() on it.
 */
const X509 *cms_signer_cert(const cms_signer *s);

/*
 * Signs `len` bytes of `content` (may be NULL when len is 0) with signing
 * time `signing_time` (seconds since the epoch, UTC).  The signing time must
 * fall within the certificate's validity: a signature that cms_verify()
 * would reject as made outside it is refused here (ST_ERR_INVALID) rather
 * than issued.  On success *der is a new buffer of *der_len bytes holding
 * the DER SignedData, owned by the caller (free()).  The content is read,
 * not kept.  ST_ERR_CRYPTO (with OpenSSL's reason in err) when signing fails.
 */
int cms_sign(const cms_signer *s, const void *content, size_t len, int64_t signing_time,
             unsigned char **der, size_t *der_len, char *err, size_t errlen);

/*
 * Where cms_sign_stream() reads the content from: fills buf with up to cap
 * bytes and sets *got (0 at the end of the content); returns ST_OK, or a
 * failure status that cms_sign_stream() returns as it is.  arg is the
 * caller's.  A reader over a file keeps reports/ free of I/O: the file is
 * the caller's.
 */
typedef int (*cms_read_fn)(void *arg, void *buf, size_t cap, size_t *got);

/*
 * cms_sign() over content read piece by piece from read(arg, ...), never
 * whole in memory (a 64 KiB buffer): the same bytes, signer and signing
 * time give the same DER as cms_sign() (byte-identical with an RSA key).
 * sha256, when not NULL, receives the SHA-256 of the content read (the
 * signature's messageDigest), so the caller need not read it again to
 * name it.  *der is the caller's (free()), as for cms_sign().
 */
int cms_sign_stream(const cms_signer *s, cms_read_fn read, void *arg, int64_t signing_time,
                    uint8_t sha256[32], unsigned char **der, size_t *der_len, char *err,
                    size_t errlen);

#endif
