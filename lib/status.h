/*
 * status.h - the one error convention of slattest.
 *
 * Every function that can fail returns an int: ST_OK (0) on success or one
 * of the negative st_code values below.  st_strerror() names a code for
 * logs and messages.  Functions that have a detail worth showing (an
 * OpenSSL or MariaDB message, a line and field) also fill a caller-owned
 * error buffer; the code alone says what kind of failure it was.
 */
#ifndef SLT_STATUS_H
#define SLT_STATUS_H

typedef enum st_code {
    ST_OK = 0,
    ST_ERR_NOMEM = -1,        /* allocation failed (normally aborts, see xmem.h) */
    ST_ERR_INVALID = -2,      /* input is malformed or breaks a rule */
    ST_ERR_TOO_LARGE = -3,    /* input exceeds a configured or hard limit */
    ST_ERR_NOT_FOUND = -4,    /* the named thing does not exist (or is not visible) */
    ST_ERR_CONFLICT = -5,     /* the thing exists already / state forbids it */
    ST_ERR_IO = -6,           /* file or socket I/O failed */
    ST_ERR_DB = -7,           /* the database answered with an error */
    ST_ERR_TLS = -8,          /* TLS setup or handshake failed */
    ST_ERR_CRYPTO = -9,       /* hashing, signing or verification machinery failed */
    ST_ERR_CONFIG = -10,      /* configuration is wrong */
    ST_ERR_TIMEOUT = -11,     /* a deadline passed */
    ST_ERR_UNAVAILABLE = -12, /* a dependency (the database) is down */
    ST_ERR_INTERNAL = -13,    /* a bug: an invariant did not hold */
    ST_ERR_AUTH = -14,        /* missing or invalid credentials */
    ST_ERR_RETRY = -15,       /* a transaction lost a conflict (deadlock, cluster
                                 certification) or the node was not ready: run it again */
} st_code;

/* A short, static, human-readable name for a status code. Thread-safe. */
const char *st_strerror(int code);

#include <stddef.h>

/* Writes a formatted message into a caller-owned error buffer (skipped when err is NULL). */
void st_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
