/*
 * report_values.h - reading the values issued reports showed (the
 * canonical text of their data digest, xl_digest.h, stored with each done
 * report in report_values, migrations/0007_report_values.sql), so a page
 * can show a tenant's months without computing anything from contacts.
 * Runs on the caller's thread with the caller's connection.
 */
#ifndef SLT_REPORT_VALUES_H
#define SLT_REPORT_VALUES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * For the `max` latest periods of a tenant that have a done report of
 * template_name: the current (highest done) version's {id, period,
 * version, generated_at (epoch seconds), canon (text)}, newest period
 * first, as a new JSON array in *out (the caller owns it).
 */
int rvalues_latest(db_t *db, uint64_t tenant_id, const char *template_name, size_t max,
                   json_t **out);

/*
 * The canonical text one report stored (NUL-terminated copy in *canon, the
 * caller frees it; its length in *len).  ST_ERR_NOT_FOUND when the report
 * has no stored values (not done, or made before they were kept).
 */
int rvalues_canon(db_t *db, uint64_t tenant_id, uint64_t report_id, char **canon, size_t *len);

#endif
