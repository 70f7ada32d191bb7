/*
 * contract_store.h - contract versions in the database, and the metric
 * parameters a period gets from them.
 *
 * cstore_put() validates a contract (reports/contract.h, plus the time zone
 * loaded from the system's tz database), stores it as the tenant's next
 * version with its audit entry, in one transaction.  cstore_load() reads a
 * tenant's versions; cstore_params() picks the version in force for a month
 * and turns it into sla_params_t (the METRICS.md defaults and the tenant's
 * own time zone when there is no contract yet).
 * Runs on the caller's thread with the caller's connection.
 */
#ifndef SLT_CONTRACT_STORE_H
#define SLT_CONTRACT_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "contract.h"
#include "db.h"
#include "sla.h"
#include "tenant.h"
#include "tz.h"

/* A tenant's contract versions, in PUT order (owned; cstore_versions_free). */
typedef struct cstore_versions {
    contract_t **items;
    int *numbers; /* version numbers, parallel to items */
    size_t n;
} cstore_versions_t;

/* What a contract PUT did (or, dry, would do). */
typedef struct cstore_put_result {
    int version;          /* the version number it got (would get) */
    bool rollups_rebuilt; /* its thresholds changed the rollups */
    json_t *normalised;   /* the contract with every default (new reference; caller decrefs) */
} cstore_put_result_t;

/*
 * Stores a new version (contract_check_new(): every fault named) with its
 * audit entry and the rollups it changes, in one transaction.  dry_run:
 * the same, rolled back at the end (no version, no audit entry), so the
 * result says what a real PUT would do.  ST_ERR_INVALID with the first
 * fault in err and, when details is not NULL, {"errors": [{path, message,
 * valid?}], "count"} in *details (new reference); another status with the
 * database's message in err.
 */
int cstore_put(db_t *db, const tenant_t *t, const char *actor, const char *body, size_t len,
               bool dry_run, cstore_put_result_t *res, char *err, size_t errlen, json_t **details);
/* Every version as JSON: [{"version", "effective_from", "created_at", "contract"}]. */
int cstore_list(db_t *db, const tenant_t *t, json_t **out);
int cstore_load(db_t *db, const tenant_t *t, cstore_versions_t *out);
void cstore_versions_free(cstore_versions_t *v);

/*
 * The version in force for year/month: its contract (NULL when none) into
 * *c when c is not NULL, and its number as the result (0 when none).
 */
int cstore_version_for_month(const cstore_versions_t *v, int year, int month, const contract_t **c);

/*
 * Metric parameters for a period starting in year/month: the version in
 * force then (*version 0 when none).  *tz is loaded for the parameters and
 * owned by the caller (tz_free); params->tz points to it; *zone names it
 * (borrowed from v or t).
 */
int cstore_params(const cstore_versions_t *v, const tenant_t *t, int year, int month,
                  sla_params_t *params, tz_t **tz, const char **zone, int *version, char *err,
                  size_t errlen);

#endif
