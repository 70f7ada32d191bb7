/* rollup.c - recompute rollups from contacts and compare (see rollup.h). */
#include "rollup.h"

#include "status.h"

int rollup_check(db_t *db, uint64_t tenant_id, uint64_t *differences, uint64_t *keys)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_u64(tenant_id)};
    /* The same grouping as ingest.c: 15-minute UTC slots, wait capped at 600 s. */
    int rc = db_exec(db,
                     "SELECT COUNT(*), COALESCE(SUM(n <> 0 OR ws <> 0 OR ts <> 0 OR hs <> 0 OR "
                     "acs <> 0 OR tn <> 0), 0) FROM ("
                     " SELECT slot, queue, outcome, wb, SUM(n) n, SUM(ws) ws, SUM(ts) ts,"
                     "  SUM(hs) hs, SUM(acs) acs, SUM(tn) tn FROM ("
                     "  SELECT offered_us - MOD(offered_us, 900000000) slot, queue, outcome,"
                     "   LEAST(wait_s, 600) wb, COUNT(*) n, SUM(wait_s) ws, SUM(talk_s) ts,"
                     "   SUM(hold_s) hs, SUM(acw_s) acs, SUM(transferred) tn"
                     "  FROM contacts WHERE tenant_id = ? GROUP BY 1, 2, 3, 4"
                     "  UNION ALL"
                     "  SELECT slot_us, queue, outcome, wait_b, -n, -wait_sum, -talk_sum,"
                     "   -hold_sum, -acw_sum, -transferred_n FROM contact_rollups"
                     "  WHERE tenant_id = ?) x GROUP BY 1, 2, 3, 4) d",
                     v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        *keys = (uint64_t)db_res_i64(res, 0);
        *differences = (uint64_t)db_res_i64(res, 1);
    }
    db_res_free(res);
    return rc;
}
