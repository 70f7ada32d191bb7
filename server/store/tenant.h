/*
 * tenant.h - tenants (clients of the outsourcer) in the database.
 *
 * tenant_resolve() is the tenancy gate: it finds a tenant by slug only if
 * the principal may see it, and answers ST_ERR_NOT_FOUND otherwise, so a
 * foreign tenant and a missing one look the same.  The router calls it for
 * every tenant-scoped route; handlers receive the resolved tenant_t.
 * Functions run on the caller's thread with the caller's connection;
 * tenant_t is a plain value the caller owns.
 */
#ifndef SLT_TENANT_H
#define SLT_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"

typedef struct tenant {
    uint64_t id;
    char slug[65];
    char name[256];
    char timezone[65];
    char created_at[32];
    bool clients_see_live; /* client contacts see month-to-date figures (0011) */
} tenant_t;

/* Slugs: 1-64 of [a-z0-9-], starting with a letter or digit. */
bool tenant_slug_valid(const char *slug);
/* True for an IANA zone name that exists in the system's tz database. */
bool tenant_timezone_valid(const char *zone);

/*
 * Creates a tenant and its audit entry in one transaction.  ST_ERR_INVALID
 * (message in err), ST_ERR_CONFLICT when the slug exists, or a db status.
 */
int tenant_create(db_t *db, const char *actor, const char *slug, const char *name,
                  const char *timezone, tenant_t *out, char *err, size_t errlen);
/* Finds a tenant by slug regardless of who asks (CLI and admin paths only). */
int tenant_by_slug(db_t *db, const char *slug, tenant_t *out);
/* Finds a tenant by id (internal paths: report jobs). */
int tenant_by_id(db_t *db, uint64_t id, tenant_t *out);
/* The tenancy gate (see above). */
int tenant_resolve(db_t *db, const principal_t *p, const char *slug, tenant_t *out);
/*
 * Sets the tenant's clients_see_live setting, with an audit entry
 * "tenant.settings" (who, before, after), in one transaction; t is updated.
 */
int tenant_set_clients_see_live(db_t *db, const char *actor, tenant_t *t, bool on);
/* The tenants a principal may see, by slug; caller frees *out. */
int tenant_list(db_t *db, const principal_t *p, tenant_t **out, size_t *n);

#endif
