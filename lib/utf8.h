/*
 * utf8.h - strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF.  NUL bytes are reported separately
 * because a C string cannot carry them.  Pure and thread-safe.
 */
#ifndef SLT_UTF8_H
#define SLT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes are valid UTF-8 and contain no NUL byte. */
bool utf8_valid(const char *s, size_t n);

#endif
