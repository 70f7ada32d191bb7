/*
 * unsub_token.h - the opt-out link's token of a scheduled e-mail: who
 * (tenant id, schedule, recipient address) signed with HMAC-SHA256 under a
 * server key, so the link needs no login and cannot be made for another
 * recipient.  It does not expire: an e-mail kept for a year still stops
 * the schedule's e-mails (an opt-out is harmless to replay, and a PUT
 * with "resubscribe" undoes it).
 *
 * Text: "u1." + hex(payload) + "." + hex(HMAC-SHA256(key, payload)), where
 * payload is "<tenant id>\n<schedule>\n<email>"; only [0-9a-z.], so it
 * goes into a URL as it is.
 *
 * Pure: no I/O.  The caller owns every buffer.  Any thread.
 */
#ifndef SLT_UNSUB_TOKEN_H
#define SLT_UNSUB_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define UNSUB_SCHEDULE_MAX 64
#define UNSUB_EMAIL_MAX    254
/* The longest token, with its NUL. */
#define UNSUB_TOKEN_MAX (3 + 2 * (20 + 1 + UNSUB_SCHEDULE_MAX + 1 + UNSUB_EMAIL_MAX) + 1 + 64 + 1)

/* Who a token names. */
typedef struct unsub_who {
    uint64_t tenant_id;
    char schedule[UNSUB_SCHEDULE_MAX + 1];
    char email[UNSUB_EMAIL_MAX + 1];
} unsub_who_t;

/* Writes the token of who under key into out[UNSUB_TOKEN_MAX];
 * ST_ERR_INVALID when a name is too long or holds a newline. */
int unsub_token_make(const void *key, size_t klen, const unsub_who_t *who,
                     char out[UNSUB_TOKEN_MAX]);

/* Reads a token: ST_OK with *who filled, ST_ERR_INVALID when it is not a
 * token, ST_ERR_AUTH when its signature is not the key's. */
int unsub_token_read(const void *key, size_t klen, const char *token, unsub_who_t *who);

#endif
