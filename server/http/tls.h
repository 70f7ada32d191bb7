/*
 * tls.h - the server's TLS context: TLS 1.2 and 1.3 only, forward-secret
 * AEAD ciphers for 1.2, no renegotiation, certificate chain and key from
 * PEM files (the key must match the certificate).  The caller owns the
 * SSL_CTX (SSL_CTX_free).  Build it before threads start.
 */
#ifndef SLT_TLS_H
#define SLT_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/* Returns a new context, or NULL with the OpenSSL reason in err. */
SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen);

#endif
