/* report_stale.c - batches that touched a month after its report (see report_stale.h). */
#include "report_stale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"
#include "rollup_batch.h"
#include "sched_due.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

/* The month's contacts by the batch that wrote them last: from batch_slots
 * (a month's few thousand rows, kept with the rollups), or from the
 * contacts themselves while the tenant's rollups await their rebuild. */
#define CONTACT_BATCHES_SLOTS                                                                      \
    "SELECT batch_id, contacts AS n FROM batch_slots WHERE tenant_id = ? AND slot_us >= ? "        \
    "AND slot_us < ? AND batch_id > ? AND batch_id <= ? AND contacts > 0 "
#define CONTACT_BATCHES_CONTACTS                                                                   \
    "SELECT batch_id, 1 AS n FROM contacts WHERE tenant_id = ? AND offered_us >= ? "               \
    "AND offered_us < ? AND batch_id > ? AND batch_id <= ? "
#define STALE_SQL(contact_batches)                                                                 \
    "SELECT b.id, CAST(FLOOR(UNIX_TIMESTAMP(b.received_at)) AS SIGNED), w.n FROM "                 \
    "(SELECT batch_id, SUM(n) AS n FROM (" contact_batches                                         \
    "UNION ALL SELECT batch_id, 1 FROM evaluations WHERE tenant_id = ? "                           \
    "AND evaluated_us >= ? AND evaluated_us < ? AND batch_id > ? AND batch_id <= ? "               \
    "UNION ALL SELECT batch_id, 1 FROM calibrations WHERE tenant_id = ? "                          \
    "AND evaluated_us >= ? AND evaluated_us < ? AND batch_id > ? AND batch_id <= ? "               \
    "UNION ALL SELECT a.batch_id, 1 FROM appeals a JOIN evaluations e "                            \
    "ON e.tenant_id = a.tenant_id AND e.evaluation_id = a.evaluation_id "                          \
    "WHERE a.tenant_id = ? AND e.evaluated_us >= ? AND e.evaluated_us < ? "                        \
    "AND a.batch_id > ? AND a.batch_id <= ?) u GROUP BY batch_id) w "                              \
    "JOIN ingest_batches b ON b.tenant_id = ? AND b.id = w.batch_id "                              \
    "AND b.status = 'committed' ORDER BY b.id"

int rstale_batches(db_t *db, uint64_t tenant_id, const char *timezone, const char *period,
                   uint64_t after, uint64_t upto, rstale_batch_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sched_period_t p;
    tz_t *tz = NULL;
    char err[200];
    if (sched_period_parse(period, &p) != ST_OK || tz_load(timezone, &tz, err, sizeof err) != ST_OK)
        return ST_ERR_INVALID;
    int64_t from = tz_month_start(tz, p.y, p.m) * 1000000,
            to = tz_month_start(tz, p.y, p.m + 1) * 1000000;
    tz_free(tz);
    bool pending = true;
    int rc = rollup_pending(db, tenant_id, &pending);
    if (rc != ST_OK)
        return rc;
    db_val_t t = db_u64(tenant_id), f = db_i64(from), e = db_i64(to), a = db_u64(after),
             u = db_u64(upto ? upto : UINT64_MAX);
    db_val_t v[] = {t, f, e, a, u, t, f, e, a, u, t, f, e, a, u, t, f, e, a, u, t};
    db_res_t *res = NULL;
    rc = db_exec(db,
                 pending ? STALE_SQL(CONTACT_BATCHES_CONTACTS) : STALE_SQL(CONTACT_BATCHES_SLOTS),
                 v, 21, &res);
    if (rc != ST_OK)
        return rc;
    *out = xcalloc(db_res_count(res) + 1, sizeof **out);
    while (db_res_next(res)) {
        rstale_batch_t *b = &(*out)[(*n)++];
        b->id = (uint64_t)db_res_i64(res, 0);
        b->received_at = db_res_i64(res, 1);
        b->records = db_res_i64(res, 2);
    }
    db_res_free(res);
    return ST_OK;
}

int rstale_report(db_t *db, const tenant_t *t, uint64_t report_id, rstale_batch_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(t->id), db_u64(report_id)};
    /* The report, whether it is the latest done version, and what it saw. */
    int rc = db_exec(db,
                     "SELECT r.period, r.status = 'done' AND NOT EXISTS (SELECT 1 FROM reports r2 "
                     "WHERE r2.tenant_id = r.tenant_id AND r2.period = r.period AND r2.template = "
                     "r.template AND r2.scope = r.scope AND r2.status = 'done' AND r2.version > "
                     "r.version) AND r.audience <> 'portfolio', v.seen_batch_id FROM reports r "
                     "LEFT JOIN report_values v ON v.tenant_id = r.tenant_id AND v.report_id = "
                     "r.id WHERE r.tenant_id = ? AND r.id = ?",
                     p, 2, &res);
    if (rc == ST_OK && !db_res_next(res))
        rc = ST_ERR_NOT_FOUND;
    if (rc == ST_OK && db_res_i64(res, 1) && !db_res_is_null(res, 2)) {
        char period[8];
        snprintf(period, sizeof period, "%s", db_res_str(res, 0, NULL));
        rc =
            rstale_batches(db, t->id, t->timezone, period, (uint64_t)db_res_i64(res, 2), 0, out, n);
    }
    db_res_free(res);
    return rc;
}

int rstale_annotate(db_t *db, const tenant_t *t, json_t *meta)
{
    rstale_batch_t *b = NULL;
    size_t n = 0;
    int rc =
        rstale_report(db, t, (uint64_t)json_integer_value(json_object_get(meta, "id")), &b, &n);
    if (rc == ST_ERR_INVALID) /* the tenant's zone cannot be read: nothing to say */
        rc = ST_OK;
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char at[40] = "";
        rfc3339_format_utc(b[i].received_at * 1000000, at, sizeof at);
        json_array_append_new(list,
                              json_pack("{s:I, s:s, s:I}", "id", (json_int_t)b[i].id, "received_at",
                                        at, "records", (json_int_t)b[i].records));
    }
    json_object_set_new(meta, "stale", json_boolean(n > 0));
    json_object_set_new(meta, "stale_batches", list);
    free(b);
    return ST_OK;
}
