/* rollup.c - rollup thresholds by slot, and the consistency check (see rollup.h). */
#include "rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollup_batch.h"
#include "status.h"
#include "xmem.h"

/* The month a version is first in force: its effective month when it starts
 * on the 1st, else the next (a month takes the version of its first instant). */
static int first_month_in_force(const contract_t *c)
{
    int y, m, d;
    contract_effective_from(c, &y, &m, &d);
    int months = y * 12 + (m - 1);
    return d == 1 ? months : months + 1;
}

/* qsort order of month numbers. */
static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int rollup_segments_derive(const cstore_versions_t *v, const tenant_t *t, rollup_segment_t **out,
                           size_t *n, char *err, size_t errlen)
{
    int *months = xcalloc(v->n + 1, sizeof *months);
    rollup_segment_t *seg = xcalloc(v->n + 1, sizeof *seg);
    size_t nm = 0, ns = 0;
    int rc = ST_OK;
    for (size_t i = 0; i < v->n; i++)
        months[nm++] = first_month_in_force(v->items[i]);
    qsort(months, nm, sizeof *months, int_cmp);
    seg[ns] = (rollup_segment_t){INT64_MIN,
                                 INT64_MAX,
                                 ROLLUP_DEFAULT_SL_THRESHOLD_S,
                                 ROLLUP_DEFAULT_SHORT_ABANDON_S,
                                 ROLLUP_DEFAULT_FCR_WINDOW_H,
                                 ""};
    snprintf(seg[ns++].timezone, sizeof seg->timezone, "%s", t->timezone);
    for (size_t i = 0; i < nm; i++) {
        if (i > 0 && months[i] == months[i - 1])
            continue;
        sla_params_t p;
        tz_t *tz = NULL;
        const char *zone;
        int version, y = months[i] / 12, m = months[i] % 12 + 1;
        if ((rc = cstore_params(v, t, y, m, &p, &tz, &zone, &version, err, errlen)) != ST_OK)
            goto fail;
        int64_t from = tz_month_start(tz, y, m) * 1000000;
        tz_free(tz);
        rollup_segment_t *last = &seg[ns - 1];
        if (p.sl_threshold_s == last->sl_threshold_s &&
            p.short_abandon_s == last->short_abandon_s && p.fcr_window_h == last->fcr_window_h &&
            strcmp(zone, last->timezone) == 0)
            continue; /* the same terms: one span */
        /* A zone change can move a month start before the previous one: the
         * later version wins from there (metrics_run falls back to contacts
         * for a month whose slots then disagree with its thresholds). */
        if (from <= last->from_us)
            from = last->from_us + 1;
        last->to_us = from;
        seg[ns] = (rollup_segment_t){from,           INT64_MAX, p.sl_threshold_s, p.short_abandon_s,
                                     p.fcr_window_h, ""};
        snprintf(seg[ns++].timezone, sizeof seg->timezone, "%s", zone);
    }
    *out = seg;
    *n = ns;
    seg = NULL;
fail:
    free(seg);
    free(months);
    return rc;
}

int rollup_segments_load(db_t *db, uint64_t tenant_id, const char *tenant_zone,
                         rollup_segment_t **out, size_t *n)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id)};
    int rc = db_exec(db,
                     "SELECT from_us, to_us, sl_threshold_s, short_abandon_s, fcr_window_h, "
                     "timezone FROM rollup_segments WHERE tenant_id = ? ORDER BY from_us",
                     v, 1, &res);
    if (rc != ST_OK)
        return rc;
    size_t count = db_res_count(res), i = 0;
    rollup_segment_t *seg = xcalloc(count ? count : 1, sizeof *seg);
    while (db_res_next(res)) {
        seg[i] = (rollup_segment_t){db_res_i64(res, 0),      db_res_i64(res, 1),
                                    (int)db_res_i64(res, 2), (int)db_res_i64(res, 3),
                                    (int)db_res_i64(res, 4), ""};
        snprintf(seg[i++].timezone, sizeof seg->timezone, "%s", db_res_str(res, 5, NULL));
    }
    db_res_free(res);
    if (i == 0) { /* no contract yet: the defaults, in the tenant's zone */
        seg[0] = (rollup_segment_t){INT64_MIN,
                                    INT64_MAX,
                                    ROLLUP_DEFAULT_SL_THRESHOLD_S,
                                    ROLLUP_DEFAULT_SHORT_ABANDON_S,
                                    ROLLUP_DEFAULT_FCR_WINDOW_H,
                                    ""};
        snprintf(seg[0].timezone, sizeof seg->timezone, "%s", tenant_zone);
        i = 1;
    }
    *out = seg;
    *n = i;
    return ST_OK;
}

/* Whether the stored segments of the tenant equal seg[0..n). */
static int segments_unchanged(db_t *db, const tenant_t *t, const rollup_segment_t *seg, size_t n,
                              bool *same)
{
    rollup_segment_t *stored = NULL;
    size_t ns = 0;
    int rc = rollup_segments_load(db, t->id, t->timezone, &stored, &ns);
    if (rc != ST_OK)
        return rc;
    *same = ns == n;
    for (size_t i = 0; *same && i < n; i++)
        *same = stored[i].from_us == seg[i].from_us && stored[i].to_us == seg[i].to_us &&
                stored[i].sl_threshold_s == seg[i].sl_threshold_s &&
                stored[i].short_abandon_s == seg[i].short_abandon_s &&
                stored[i].fcr_window_h == seg[i].fcr_window_h &&
                strcmp(stored[i].timezone, seg[i].timezone) == 0;
    free(stored);
    return ST_OK;
}

/* Replaces the stored segments and rebuilds every rollup of the tenant. */
static int segments_replace(db_t *db, const tenant_t *t, const rollup_segment_t *seg, size_t n,
                            char *err, size_t errlen)
{
    db_val_t id[] = {db_u64(t->id)};
    int rc = db_exec(db, "DELETE FROM rollup_segments WHERE tenant_id = ?", id, 1, NULL);
    for (size_t i = 0; rc == ST_OK && i < n; i++) {
        db_val_t v[] = {db_u64(t->id),
                        db_i64(seg[i].from_us),
                        db_i64(seg[i].to_us),
                        db_i64(seg[i].sl_threshold_s),
                        db_i64(seg[i].short_abandon_s),
                        db_i64(seg[i].fcr_window_h),
                        db_str(seg[i].timezone)};
        rc = db_exec(db,
                     "INSERT INTO rollup_segments (tenant_id, from_us, to_us, sl_threshold_s, "
                     "short_abandon_s, fcr_window_h, timezone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     v, 7, NULL);
    }
    if (rc == ST_OK)
        rc = rollup_rebuild(db, t, err, errlen);
    return rc;
}

int rollup_segments_store(db_t *db, const tenant_t *t, bool *rebuilt, char *err, size_t errlen)
{
    cstore_versions_t versions;
    rollup_segment_t *seg = NULL;
    size_t n = 0;
    bool same = true;
    *rebuilt = false;
    int rc = cstore_load(db, t, &versions);
    if (rc != ST_OK)
        return rc;
    if ((rc = rollup_segments_derive(&versions, t, &seg, &n, err, errlen)) != ST_OK)
        goto fail;
    if ((rc = segments_unchanged(db, t, seg, n, &same)) != ST_OK || same)
        goto fail;
    if ((rc = segments_replace(db, t, seg, n, err, errlen)) == ST_OK)
        *rebuilt = true;
fail:
    free(seg);
    cstore_versions_free(&versions);
    return rc;
}

int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys)
{
    /* Recomputed rows minus stored rows, per slot and queue: all zero when
     * they agree.  a16 marks a recomputed row: thresholds are compared only
     * where contacts exist (a stored row emptied by corrections is fine). */
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(tenant_id)};
    int rc = db_exec(
        db,
        "WITH x (slot, queue, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,"
        "  a16) AS (SELECT " ROLLUP_SLOT("c") ", c.queue, " ROLLUP_SUMS(
            "c",
            "") ", CAST(MAX(" ROLLUP_SL ") AS SIGNED), CAST(MAX(" ROLLUP_SHORT
                ") AS SIGNED), 1 FROM contacts c " ROLLUP_SEGMENT(
                    "c",
                    "c.tenant_id") "WHERE c.tenant_id = ? GROUP BY 1, 2"
                                   "  UNION ALL"
                                   "  SELECT slot_us, queue, -answered_n, -answered_within_n, "
                                   "-answered_wait_sum,"
                                   "   -abandoned_n, -abandoned_wait_sum, -abandoned_within_n, "
                                   "-short_abandoned_n,"
                                   "   -short_wait_sum, -overflow_n, -overflow_wait_sum, "
                                   "-talk_sum, -hold_sum,"
                                   "   -acw_sum, -transferred_n, -CAST(sl_threshold_s AS SIGNED),"
                                   "   -CAST(short_abandon_s AS SIGNED), 0 FROM contact_rollups "
                                   "WHERE tenant_id = ?),"
                                   " d AS (SELECT slot, queue, SUM(a0) a0, SUM(a1) a1, SUM(a2) a2, "
                                   "SUM(a3) a3,"
                                   "  SUM(a4) a4, SUM(a5) a5, SUM(a6) a6, SUM(a7) a7, SUM(a8) a8, "
                                   "SUM(a9) a9,"
                                   "  SUM(a10) a10, SUM(a11) a11, SUM(a12) a12, SUM(a13) a13, "
                                   "SUM(a14) a14,"
                                   "  SUM(a15) a15, SUM(a16) a16 FROM x GROUP BY 1, 2)"
                                   " SELECT COUNT(*), COALESCE(SUM(a0 <> 0 OR a1 <> 0 OR a2 <> 0 "
                                   "OR a3 <> 0 OR"
                                   "  a4 <> 0 OR a5 <> 0 OR a6 <> 0 OR a7 <> 0 OR a8 <> 0 OR a9 <> "
                                   "0 OR a10 <> 0 OR"
                                   "  a11 <> 0 OR a12 <> 0 OR a13 <> 0 OR (a16 > 0 AND (a14 <> 0 "
                                   "OR a15 <> 0))), 0)"
                                   " FROM d",
        v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        *keys = (uint64_t)db_res_i64(res, 0);
        *differences = (uint64_t)db_res_i64(res, 1);
    }
    db_res_free(res);
    return rc;
}
