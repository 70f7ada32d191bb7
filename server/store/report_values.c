/* report_values.c - the values of issued reports (see report_values.h). */
#include "report_values.h"

#include "status.h"
#include "xmem.h"

int rvalues_latest(db_t *db, uint64_t tenant_id, const char *template_name, size_t max,
                   json_t **out)
{
    db_res_t *res = NULL;
    *out = NULL;
    db_val_t v[] = {db_u64(tenant_id), db_str(template_name), db_u64(max)};
    int rc = db_exec(db,
                     "SELECT r.id, r.period, r.version, r.generated_at, v.canon FROM reports r "
                     "JOIN report_values v ON v.tenant_id = r.tenant_id AND v.report_id = r.id "
                     "WHERE r.tenant_id = ? AND r.template = ? AND r.status = 'done' AND "
                     "r.version = (SELECT MAX(r2.version) FROM reports r2 WHERE r2.tenant_id = "
                     "r.tenant_id AND r2.period = r.period AND r2.template = r.template AND "
                     "r2.status = 'done') ORDER BY r.period DESC LIMIT ?",
                     v, 3, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    while (db_res_next(res)) {
        size_t cl = 0;
        const char *canon = db_res_str(res, 4, &cl);
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:I, s:I, s:s%}", "id", (json_int_t)db_res_i64(res, 0),
                            "period", db_res_str(res, 1, NULL), "version",
                            (json_int_t)db_res_i64(res, 2), "generated_at",
                            (json_int_t)db_res_i64(res, 3), "canon", canon ? canon : "", cl));
    }
    db_res_free(res);
    *out = list;
    return ST_OK;
}

int rvalues_canon(db_t *db, uint64_t tenant_id, uint64_t report_id, char **canon, size_t *len)
{
    db_res_t *res = NULL;
    *canon = NULL;
    *len = 0;
    int rc = db_exec(db, "SELECT canon FROM report_values WHERE tenant_id = ? AND report_id = ?",
                     (db_val_t[]){db_u64(tenant_id), db_u64(report_id)}, 2, &res);
    if (rc != ST_OK)
        return rc;
    rc = ST_ERR_NOT_FOUND;
    if (db_res_next(res)) {
        size_t n = 0;
        const char *s = db_res_str(res, 0, &n);
        *canon = xstrndup(s ? s : "", n);
        *len = n;
        rc = ST_OK;
    }
    db_res_free(res);
    return rc;
}
