/*
 * hash.h - SHA-256, hex encoding, constant-time comparison and random bytes
 * (OpenSSL underneath).  All functions write into caller-owned buffers and
 * are thread-safe.
 */
#ifndef SLT_HASH_H
#define SLT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SHA256_LEN     32
#define HASH_SHA256_HEX_LEN 64 /* plus one byte for the NUL */

/* SHA-256 of n bytes into out[32]. */
void hash_sha256(const void *data, size_t n, uint8_t out[HASH_SHA256_LEN]);
/* Lowercase hex of n bytes into out, which must hold 2n+1 bytes. */
void hash_hex(const uint8_t *bytes, size_t n, char *out);
/* 32 raw bytes (a SHA-256 digest) as 64 lowercase hex digits into out[65]. */
void hash_hex_of(const void *digest32, char out[HASH_SHA256_HEX_LEN + 1]);
/* SHA-256 of n bytes as 64 lowercase hex digits into out[65]. */
void hash_sha256_hex(const void *data, size_t n, char out[HASH_SHA256_HEX_LEN + 1]);
/* The value of one hex digit (either case), or -1. */
int hash_hexdigit(char c);
/* Decodes 2n hex digits into n bytes; ST_ERR_INVALID on a bad digit. */
int hash_unhex(const char *hex, uint8_t *out, size_t n);
/* 1 when the n bytes are equal, in time that does not depend on where they differ. */
int hash_equal(const void *a, const void *b, size_t n);
/* HMAC-SHA256 of n bytes under a key of klen bytes into out[32]. */
void hash_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                      uint8_t out[HASH_SHA256_LEN]);

/* Fills out with n cryptographically strong random bytes; ST_ERR_CRYPTO on failure. */
int hash_random(void *out, size_t n);

#define HASH_TOKEN_LEN 43 /* 256 random bits as base64url, no padding */
/* 256 random bits as 43 base64url characters into out[44]; ST_ERR_CRYPTO on failure. */
int hash_random_token(char out[HASH_TOKEN_LEN + 1]);

#endif
