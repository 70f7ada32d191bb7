/*
 * utf8.h - strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF.  NUL bytes are reported separately
 * because a C string cannot carry them.  Pure and thread-safe.
 */
#ifndef SLT_UTF8_H
#define SLT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when the n bytes are valid UTF-8 and contain no NUL byte. */
bool utf8_valid(const char *s, size_t n);

/*
 * The first code point of the n bytes (valid UTF-8) that is invisible or
 * reorders text around it, 0 when there is none: the bidirectional
 * embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), the
 * marks (U+200E, U+200F, U+061C), the zero-width characters (U+200B..U+200D,
 * U+2060..U+2064, U+FEFF, U+180E).  Two ids that look the same must be the
 * same id, and a RIGHT-TO-LEFT OVERRIDE makes "a<RLO>gnp.exe" read as
 * "aexe.png".
 */
uint32_t utf8_invisible(const char *s, size_t n);

#endif
