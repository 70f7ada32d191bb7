/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226 HOTP,
 * HMAC-SHA1, 30-second steps, 6 digits as authenticator apps use), the
 * base32 text of a secret (RFC 4648, no padding) and the otpauth:// URI an
 * app reads from a QR code.  Pure computation (OpenSSL's HMAC underneath);
 * caller-owned buffers; any thread.
 */
#ifndef SLT_TOTP_H
#define SLT_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, the HMAC-SHA1 block RFC 4226 recommends */
#define TOTP_STEP_S       30
#define TOTP_DIGITS       6
#define TOTP_WINDOW       1 /* steps accepted either side of now */
#define TOTP_BASE32_MAX   ((TOTP_SECRET_BYTES * 8 + 4) / 5 + 1) /* text of a secret, with NUL */

/* The HOTP value (RFC 4226) of counter under key: the last `digits` (1..9) decimal digits. */
uint32_t totp_hotp(const uint8_t *key, size_t klen, uint64_t counter, int digits);

/* The time step of a Unix time (floor(t / TOTP_STEP_S); 0 before 1970). */
int64_t totp_step(int64_t unix_s);

/*
 * Checks a code typed by a person (TOTP_DIGITS digits; spaces ignored)
 * against the steps now-TOTP_WINDOW .. now+TOTP_WINDOW that are after
 * last_step (a step once used cannot be used again: no replay).  Returns
 * the matching step, or -1.  Every candidate is computed and compared in
 * constant time.
 */
int64_t totp_check(const uint8_t *key, size_t klen, const char *code, int64_t now_s,
                   int64_t last_step);

/* n bytes as base32 (A-Z2-7, no padding) into out; the text is cut to outlen - 1. */
void totp_base32(const uint8_t *in, size_t n, char *out, size_t outlen);

/*
 * Decodes base32 (case-insensitive, spaces and '=' ignored) into out (at most
 * outlen bytes); the number of bytes, or -1 on a character outside the alphabet
 * or an overlong text.
 */
long totp_base32_decode(const char *in, uint8_t *out, size_t outlen);

#endif
