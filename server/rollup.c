/* rollup.c - recompute rollups from contacts and compare (see rollup.h). */
#include "rollup.h"

#include "status.h"

int rollup_set_thresholds(db_t *db, uint64_t tenant_id)
{
    (void)tenant_id;
    db_val_t v[] = {db_i64(ROLLUP_DEFAULT_SL_THRESHOLD_S), db_i64(ROLLUP_DEFAULT_SHORT_ABANDON_S)};
    return db_exec(db, "SET @sl = ?, @short = ?", v, 2, NULL);
}

int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys)
{
    int rc = rollup_set_thresholds(db, tenant_id);
    if (rc != ST_OK)
        return rc;
    /* Recomputed rows minus stored rows, per slot and queue: all zero when they agree. */
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(tenant_id)};
    rc = db_exec(
        db,
        "WITH x (slot, queue, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13)"
        " AS (SELECT " ROLLUP_SLOT("c") ", c.queue, " ROLLUP_SUMS(
            "c",
            "") "  FROM contacts c WHERE c.tenant_id = ? GROUP BY 1, 2"
                "  UNION ALL"
                "  SELECT slot_us, queue, -answered_n, -answered_within_n, -answered_wait_sum,"
                "   -abandoned_n, -abandoned_wait_sum, -abandoned_within_n, -short_abandoned_n,"
                "   -short_wait_sum, -overflow_n, -overflow_wait_sum, -talk_sum, -hold_sum,"
                "   -acw_sum, -transferred_n FROM contact_rollups WHERE tenant_id = ?),"
                " d AS (SELECT slot, queue, SUM(a0) a0, SUM(a1) a1, SUM(a2) a2, SUM(a3) a3,"
                "  SUM(a4) a4, SUM(a5) a5, SUM(a6) a6, SUM(a7) a7, SUM(a8) a8, SUM(a9) a9,"
                "  SUM(a10) a10, SUM(a11) a11, SUM(a12) a12, SUM(a13) a13 FROM x GROUP BY 1, 2)"
                " SELECT COUNT(*), COALESCE(SUM(a0 <> 0 OR a1 <> 0 OR a2 <> 0 OR a3 <> 0 OR"
                "  a4 <> 0 OR a5 <> 0 OR a6 <> 0 OR a7 <> 0 OR a8 <> 0 OR a9 <> 0 OR a10 <> 0 OR"
                "  a11 <> 0 OR a12 <> 0 OR a13 <> 0), 0) FROM d",
        v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        *keys = (uint64_t)db_res_i64(res, 0);
        *differences = (uint64_t)db_res_i64(res, 1);
    }
    db_res_free(res);
    return rc;
}
