/* status.c - names for the project-wide status codes (see status.h). */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

const char *st_strerror(int code)
{
    switch (code) {
    case ST_OK:
        return "ok";
    case ST_ERR_NOMEM:
        return "out of memory";
    case ST_ERR_INVALID:
        return "invalid input";
    case ST_ERR_TOO_LARGE:
        return "too large";
    case ST_ERR_NOT_FOUND:
        return "not found";
    case ST_ERR_CONFLICT:
        return "conflict";
    case ST_ERR_IO:
        return "I/O error";
    case ST_ERR_DB:
        return "database error";
    case ST_ERR_TLS:
        return "TLS error";
    case ST_ERR_CRYPTO:
        return "cryptographic error";
    case ST_ERR_CONFIG:
        return "configuration error";
    case ST_ERR_TIMEOUT:
        return "timed out";
    case ST_ERR_UNAVAILABLE:
        return "unavailable";
    case ST_ERR_INTERNAL:
        return "internal error";
    case ST_ERR_AUTH:
        return "authentication failed";
    case ST_ERR_RETRY:
        return "transaction conflict, try again";
    }
    return "unknown error";
}

void st_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
