/*
 * cookie.h - reading a Cookie request header (RFC 6265, section 5.4): a
 * list of name=value pairs separated by "; ".  Pure and thread-safe.
 */
#ifndef SLT_COOKIE_H
#define SLT_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies the value of the first cookie called name (double quotes around
 * it removed) from header (may be NULL) into out; false when absent, empty
 * or not shorter than outlen.
 */
bool cookie_get(const char *header, const char *name, char *out, size_t outlen);

#endif
