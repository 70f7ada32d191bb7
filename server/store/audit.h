/*
 * audit.h - the tamper-evident audit log: one hash chain over every entry.
 *
 * hash(n) = SHA-256(hash(n-1) || canonical(entry n)), where canonical() is
 * each field as a netstring ("<len>:<bytes>,") in the order id, at, actor,
 * tenant_id, action, object, detail.  `at` is the DATETIME(6) text the
 * database stores, so a verifier recomputes from the rows alone.
 *
 * audit_append() must run inside the caller's transaction: the entry commits
 * or rolls back with the change it records.  It locks the chain head
 * (audit_head FOR UPDATE), so appends are serialised across instances.
 * There is no update or delete path.  Functions run on the caller's thread
 * with the caller's connection.
 */
#ifndef SLT_AUDIT_H
#define SLT_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"

/*
 * Appends one entry.  tenant_id 0 means "no tenant".  detail is JSON text
 * (copied).  ST_OK or the db_exec() status.
 */
int audit_append(db_t *db, const char *actor, uint64_t tenant_id, const char *action,
                 const char *object, const char *detail);

/*
 * Walks the chain from the first entry and checks every hash and the head.
 * ST_OK when intact; ST_ERR_INVALID with *bad_id set to the first broken
 * entry and a message in err otherwise.
 */
int audit_verify(db_t *db, uint64_t *checked, uint64_t *bad_id, char *err, size_t errlen);

#endif
