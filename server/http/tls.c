/* tls.c - server TLS context (see tls.h). */
#include "tls.h"

#include <openssl/err.h>
#include <stdio.h>

/* Appends OpenSSL's queued error to a message. */
static void tls_error(char *err, size_t errlen, const char *what, const char *file)
{
    char ossl[256] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, ossl, sizeof ossl);
    snprintf(err, errlen, "%s %s: %s", what, file ? file : "", ossl);
    ERR_clear_error();
}

SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tls_error(err, errlen, "cannot create TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    /* TLS 1.2: only ECDHE/DHE key exchange with AEAD ciphers. TLS 1.3 suites are all fine. */
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20") != 1) {
        tls_error(err, errlen, "cannot set ciphers", NULL);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        tls_error(err, errlen, "cannot load certificate", cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        tls_error(err, errlen, "cannot load private key", key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        tls_error(err, errlen, "private key does not match certificate", key_file);
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
