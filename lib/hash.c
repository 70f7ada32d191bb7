/* hash.c - SHA-256, hex and constant-time helpers (see hash.h). */
#include "hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "status.h"

void hash_sha256(const void *data, size_t n, uint8_t out[HASH_SHA256_LEN])
{
    unsigned int len = HASH_SHA256_LEN;
    EVP_Digest(data, n, out, &len, EVP_sha256(), NULL);
}

void hash_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void hash_hex_of(const void *digest32, char out[HASH_SHA256_HEX_LEN + 1])
{
    hash_hex(digest32, HASH_SHA256_LEN, out);
}

void hash_sha256_hex(const void *data, size_t n, char out[HASH_SHA256_HEX_LEN + 1])
{
    uint8_t d[HASH_SHA256_LEN];
    hash_sha256(data, n, d);
    hash_hex(d, sizeof d, out);
}

int hash_hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hash_unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hash_hexdigit(hex[2 * i]);
        int lo = hi < 0 ? -1 : hash_hexdigit(hex[2 * i + 1]);
        if (lo < 0)
            return ST_ERR_INVALID;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return ST_OK;
}

int hash_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

int hash_random(void *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? ST_OK : ST_ERR_CRYPTO;
}

void hash_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                      uint8_t out[HASH_SHA256_LEN])
{
    unsigned int len = HASH_SHA256_LEN;
    static const uint8_t empty[1];
    HMAC(EVP_sha256(), klen ? key : empty, (int)klen, n ? data : empty, n, out, &len);
}

int hash_random_token(char out[HASH_TOKEN_LEN + 1])
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t raw[33] = {0}; /* 32 random bytes and a zero pad: 11 groups of 3 */
    if (hash_random(raw, 32) != ST_OK)
        return ST_ERR_CRYPTO;
    size_t o = 0;
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 3; k >= 0 && o < HASH_TOKEN_LEN; k--)
            out[o++] = b64url[(v >> (6 * k)) & 63];
    }
    out[HASH_TOKEN_LEN] = '\0';
    return ST_OK;
}
