/*
 * pwpolicy.h - the rules a new password must meet: at least
 * PWPOLICY_MIN_LEN characters (code points, not bytes), at most
 * PWPOLICY_MAX_BYTES bytes of valid UTF-8, not one of the most common
 * passwords (a table in pwpolicy.c, compared without regard to ASCII case),
 * not one character repeated, and not the account's email or the part of
 * it before '@'.  Pure and thread-safe.
 */
#ifndef SLT_PWPOLICY_H
#define SLT_PWPOLICY_H

#include <stddef.h>

#define PWPOLICY_MIN_LEN   12
#define PWPOLICY_MAX_BYTES 256

/* Why a password is refused (PWPOLICY_OK when it is accepted). */
typedef enum pwpolicy_verdict {
    PWPOLICY_OK = 0,
    PWPOLICY_TOO_SHORT,
    PWPOLICY_TOO_LONG,
    PWPOLICY_NOT_UTF8,
    PWPOLICY_COMMON,
    PWPOLICY_LIKE_EMAIL,
} pwpolicy_verdict;

/* Checks password (NUL-terminated) for an account with this email (may be NULL). */
pwpolicy_verdict pwpolicy_check(const char *password, const char *email);
/* A sentence saying why, for the command line ("" for PWPOLICY_OK); static. */
const char *pwpolicy_reason(pwpolicy_verdict v);
/* A short stable code for a verdict (a catalogue key suffix: "too_short"...); static. */
const char *pwpolicy_code(pwpolicy_verdict v);

#endif
