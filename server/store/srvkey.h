/*
 * srvkey.h - keys the server makes itself and every instance shares
 * (migrations/0015_sched_more.sql, table server_keys): 32 random bytes
 * made on first use by whichever instance's INSERT wins the key's row;
 * the others read that row.  Used for the opt-out links of scheduled
 * e-mails ("unsubscribe").  Caller's thread and connection.
 */
#ifndef SLT_SRVKEY_H
#define SLT_SRVKEY_H

#include <stdint.h>

#include "db.h"

#define SRVKEY_LEN 32

/* The key `name` into out, made now (at instant `now`) when there is none. */
int srvkey_get(db_t *db, const char *name, int64_t now, uint8_t out[SRVKEY_LEN]);

#endif
