/* totp.c - RFC 6238 time-based one-time passwords (see totp.h). */
#include "totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "hash.h"

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint32_t totp_hotp(const uint8_t *key, size_t klen, uint64_t counter, int digits)
{
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (uint8_t)(counter & 0xff);
    static const uint8_t empty[1];
    HMAC(EVP_sha1(), klen ? key : empty, (int)klen, msg, sizeof msg, mac, &len);
    /* Dynamic truncation (RFC 4226 5.3): 31 bits at the offset the last nibble gives. */
    unsigned off = mac[len - 1] & 0x0f;
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits && i < 9; i++)
        mod *= 10;
    return bin % mod;
}

int64_t totp_step(int64_t unix_s)
{
    return unix_s < 0 ? 0 : unix_s / TOTP_STEP_S;
}

int64_t totp_check(const uint8_t *key, size_t klen, const char *code, int64_t now_s,
                   int64_t last_step)
{
    char digits[TOTP_DIGITS + 1];
    size_t n = 0;
    for (const char *p = code; p && *p; p++) {
        if (*p == ' ')
            continue;
        if (*p < '0' || *p > '9' || n >= TOTP_DIGITS)
            return -1;
        digits[n++] = *p;
    }
    if (n != TOTP_DIGITS)
        return -1;
    digits[n] = '\0';
    int64_t now = totp_step(now_s), found = -1;
    for (int64_t s = now - TOTP_WINDOW; s <= now + TOTP_WINDOW; s++) {
        char want[16];
        uint32_t v = totp_hotp(key, klen, (uint64_t)(s < 0 ? 0 : s), TOTP_DIGITS);
        for (int i = TOTP_DIGITS - 1; i >= 0; i--, v /= 10)
            want[i] = (char)('0' + v % 10);
        int same = hash_equal(want, digits, TOTP_DIGITS);
        if (same && s > last_step && found < 0)
            found = s;
    }
    return found;
}

void totp_base32(const uint8_t *in, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 5 && o + 1 < outlen) {
            out[o++] = b32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0 && o + 1 < outlen)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    if (outlen)
        out[o] = '\0';
}

long totp_base32_decode(const char *in, uint8_t *out, size_t outlen)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '=')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        const char *hit = strchr(b32, c);
        if (!hit || c == '\0')
            return -1;
        acc = acc << 5 | (uint32_t)(hit - b32);
        bits += 5;
        if (bits >= 8) {
            if (o >= outlen)
                return -1;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (long)o;
}
