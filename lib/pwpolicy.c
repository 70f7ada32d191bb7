/* pwpolicy.c - the password rules (see pwpolicy.h). */
#include "pwpolicy.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

/*
 * The most common passwords that the length rule alone would let through
 * (from public breach-corpus frequency lists: keyboard walks, repeated
 * words, digit runs), plus their shorter classics padded the usual ways.
 */
static const char *const common[] = {
    "123456789012",     "1234567890123", "12345678901234", "123456789123",
    "123123123123",     "111111111111",  "000000000000",   "121212121212",
    "123456123456",     "qwertyuiopas",  "qwertyuiop123",  "qwerty123456",
    "qwertyqwerty",     "1q2w3e4r5t6y",  "1qaz2wsx3edc",   "qazwsxedcrfv",
    "zaq12wsxcde3",     "asdfghjklzxc",  "asdfasdfasdf",   "abcdefghijkl",
    "abcd1234abcd",     "abc123abc123",  "password1234",   "password123!",
    "passwordpassword", "password12345", "p@ssw0rd1234",   "passw0rd1234",
    "iloveyou1234",     "letmein12345",  "welcome12345",   "welcome@1234",
    "administrator",    "admin1234567",  "adminadmin12",   "changeme1234",
    "trustno11234",     "sunshine1234",  "football1234",   "baseball1234",
    "monkey123456",     "dragon123456",  "princess1234",   "superman1234",
    "starwars1234",     "whatever1234",  "computer1234",   "internet1234",
    "michael12345",     "jennifer1234",  "1234567890qwe",  "1234qwerasdf",
    "1qaz@wsx3edc",     "q1w2e3r4t5y6",  "a1b2c3d4e5f6",   "aa123456789a",
    "woaini520520",     "woaini1314520", "5201314520131",  "1314520520",
    "qwe123qwe123",     "zxcvbnm12345",  "zxcvbnmasdfg",   "11223344556677",
    "987654321098",     "0987654321qw",  "slattest1234",   "correcthorsebatterystaple",
};

/* Number of UTF-8 code points in s (which is valid UTF-8). */
static size_t utf8_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* True when every byte of s is the same. */
static bool all_same(const char *s)
{
    for (size_t i = 1; s[i]; i++)
        if (s[i] != s[0])
            return false;
    return true;
}

pwpolicy_verdict pwpolicy_check(const char *password, const char *email)
{
    size_t bytes = strlen(password);
    if (bytes > PWPOLICY_MAX_BYTES)
        return PWPOLICY_TOO_LONG;
    if (!utf8_valid(password, bytes))
        return PWPOLICY_NOT_UTF8;
    if (utf8_count(password) < PWPOLICY_MIN_LEN)
        return PWPOLICY_TOO_SHORT;
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcasecmp(password, common[i]) == 0)
            return PWPOLICY_COMMON;
    if (all_same(password))
        return PWPOLICY_COMMON;
    if (email && email[0]) {
        const char *at = strchr(email, '@');
        size_t local = at ? (size_t)(at - email) : strlen(email);
        if (strcasecmp(password, email) == 0 ||
            (local == bytes && strncasecmp(password, email, local) == 0))
            return PWPOLICY_LIKE_EMAIL;
    }
    return PWPOLICY_OK;
}

const char *pwpolicy_reason(pwpolicy_verdict v)
{
    switch (v) {
    case PWPOLICY_OK:
        return "";
    case PWPOLICY_TOO_SHORT:
        return "a password needs at least 12 characters";
    case PWPOLICY_TOO_LONG:
        return "a password may have at most 256 bytes";
    case PWPOLICY_NOT_UTF8:
        return "a password must be UTF-8 text";
    case PWPOLICY_COMMON:
        return "that password is one of the most common ones; choose another";
    case PWPOLICY_LIKE_EMAIL:
        return "a password must not be the email address";
    }
    return "refused";
}

const char *pwpolicy_code(pwpolicy_verdict v)
{
    static const char *const codes[] = {"ok",       "too_short", "too_long",
                                        "not_utf8", "common",    "like_email"};
    return (unsigned)v < sizeof codes / sizeof codes[0] ? codes[v] : "refused";
}
