/* contract_store.c - contract versions and the parameters they give (see contract_store.h). */
#include "contract_store.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "faults.h"
#include "hash.h"
#include "jsonutil.h"
#include "rollup.h"
#include "status.h"
#include "xmem.h"

int cstore_put(db_t *db, const tenant_t *t, const char *actor, const char *body, size_t len,
               bool dry_run, cstore_put_result_t *res_out, char *err, size_t errlen,
               json_t **details)
{
    contract_t *c = NULL;
    tz_t *tz = NULL;
    char *text = NULL;
    db_res_t *res = NULL;
    json_t *list = json_array(), *doc = NULL;
    faults_t fl;
    faults_init(&fl, err, errlen, list);
    memset(res_out, 0, sizeof *res_out);
    if (details)
        *details = NULL;
    int rc = contract_check_new(body, len, &c, &fl);
    if (rc == ST_OK && tz_load(contract_timezone(c), &tz, NULL, 0) != ST_OK)
        rc = faults_add(&fl, "timezone", "'%s' is not in the system's time zone database",
                        contract_timezone(c));
    if (rc != ST_OK) {
        if (details)
            *details = faults_details(&fl);
        rc = ST_ERR_INVALID;
        goto fail;
    }
    doc = contract_to_json(c);
    text = jsonutil_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    int y, m, d;
    contract_effective_from(c, &y, &m, &d);
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    if ((rc = db_begin(db)) != ST_OK)
        goto fail_db;
    db_val_t lock[] = {db_u64(t->id)};
    if ((rc = db_exec(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE", lock, 1, NULL)) !=
            ST_OK ||
        (rc = db_exec(db, "SELECT COALESCE(MAX(version), 0) + 1 FROM contracts WHERE tenant_id = ?",
                      lock, 1, &res)) != ST_OK)
        goto fail_db;
    res_out->version = db_res_next(res) ? (int)db_res_i64(res, 0) : 1;
    db_val_t v[] = {db_u64(t->id), db_i64(res_out->version), db_str(date), db_str(text),
                    db_str(actor)};
    if ((rc = db_exec(db,
                      "INSERT INTO contracts (tenant_id, version, effective_from, body, actor) "
                      "VALUES (?, ?, ?, ?, ?)",
                      v, 5, NULL)) != ST_OK)
        goto fail_db;
    /* Thresholds by month may have changed: the rollups follow in this transaction. */
    if ((rc = rollup_segments_store(db, t, &res_out->rollups_rebuilt, err, errlen)) != ST_OK)
        goto fail_db;
    if (dry_run) { /* everything was tried; nothing is kept, and no audit entry says otherwise */
        db_rollback(db);
    } else {
        char sha[HASH_SHA256_HEX_LEN + 1], object[48], detail[240];
        hash_sha256_hex(text, strlen(text), sha);
        snprintf(object, sizeof object, "contract:v%d", res_out->version);
        snprintf(detail, sizeof detail,
                 "{\"effective_from\":\"%s\",\"rollups_rebuilt\":%s,\"sha256\":\"%s\","
                 "\"version\":%d}",
                 date, res_out->rollups_rebuilt ? "true" : "false", sha, res_out->version);
        if ((rc = audit_append(db, actor, t->id, "contract.put", object, detail)) != ST_OK ||
            (rc = db_commit(db)) != ST_OK)
            goto fail_db;
    }
    res_out->normalised = doc;
    doc = NULL;
fail_db:
    if (rc != ST_OK) {
        db_rollback(db);
        snprintf(err, errlen, "%s", db_error(db));
    }
fail:
    json_decref(doc);
    json_decref(list);
    db_res_free(res);
    free(text);
    tz_free(tz);
    contract_free(c);
    return rc;
}

int cstore_list(db_t *db, const tenant_t *t, json_t **out)
{
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(t->id)};
    int rc = db_exec(db,
                     "SELECT version, DATE_FORMAT(effective_from, '%Y-%m-%d'), "
                     "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), body, actor "
                     "FROM contracts WHERE tenant_id = ? ORDER BY version",
                     v, 1, &res);
    if (rc != ST_OK)
        return rc;
    json_t *list = json_array();
    while (db_res_next(res)) {
        json_t *body = json_loads(db_res_str(res, 3, NULL), 0, NULL);
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:o}", "version", (json_int_t)db_res_i64(res, 0),
                            "effective_from", db_res_str(res, 1, NULL), "created_at",
                            db_res_str(res, 2, NULL), "actor", db_res_str(res, 4, NULL), "contract",
                            body ? body : json_null()));
    }
    db_res_free(res);
    *out = list;
    return ST_OK;
}

int cstore_load(db_t *db, const tenant_t *t, cstore_versions_t *out)
{
    memset(out, 0, sizeof *out);
    db_res_t *res = NULL;
    db_val_t v[] = {db_u64(t->id)};
    int rc = db_exec(db, "SELECT version, body FROM contracts WHERE tenant_id = ? ORDER BY version",
                     v, 1, &res);
    if (rc != ST_OK)
        return rc;
    size_t n = db_res_count(res);
    out->items = xcalloc(n + 1, sizeof *out->items);
    out->numbers = xcalloc(n + 1, sizeof *out->numbers);
    while (db_res_next(res)) {
        size_t len = 0;
        const char *body = db_res_str(res, 1, &len);
        char err[256];
        /* Stored bodies were validated on the way in; one that no longer parses is a bug. */
        if (contract_parse(body, len, &out->items[out->n], err, sizeof err) != ST_OK) {
            rc = ST_ERR_INTERNAL;
            break;
        }
        out->numbers[out->n++] = (int)db_res_i64(res, 0);
    }
    db_res_free(res);
    if (rc != ST_OK)
        cstore_versions_free(out);
    return rc;
}

void cstore_versions_free(cstore_versions_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        contract_free(v->items[i]);
    free(v->items);
    free(v->numbers);
    memset(v, 0, sizeof *v);
}

/* Fills params from one contract version. */
static void params_from_contract(const contract_t *c, sla_params_t *p)
{
    p->sl_threshold_s = contract_sl_threshold_s(c);
    sla_formula_parse(contract_sl_formula_name(contract_sl_formula(c)), &p->sl_formula);
    p->short_abandon_s = contract_short_abandon_s(c);
    p->interval_min = contract_interval_min(c);
    p->has_hours = contract_has_business_hours(c);
    for (int wday = 0; wday < 7; wday++) {
        int open = 0, close = 0;
        contract_business_hours(c, wday, &open, &close);
        p->hours[wday].open_min = open;
        p->hours[wday].close_min = close;
    }
    if (strcmp(contract_fcr_method_name(contract_fcr_method(c)), "disposition") == 0)
        p->fcr_method = SLA_FCR_DISPOSITION;
    else
        p->fcr_method = SLA_FCR_REPEAT;
    p->fcr_window_h = contract_fcr_window_h(c);
    p->csat_good_min = contract_csat_good_min(c);
    const contract_item_t *sl = contract_item_find(c, CM_SERVICE_LEVEL);
    p->sl_target = sl ? sl->target : NAN;
}

int cstore_version_for_month(const cstore_versions_t *v, int year, int month, const contract_t **c)
{
    const contract_t *in_force =
        contract_version_for_month((const contract_t *const *)v->items, v->n, year, month);
    int number = 0;
    for (size_t i = 0; in_force && i < v->n; i++)
        if (v->items[i] == in_force)
            number = v->numbers[i];
    if (c)
        *c = in_force;
    return number;
}

int cstore_params(const cstore_versions_t *v, const tenant_t *t, int year, int month,
                  sla_params_t *params, tz_t **tz, const char **zone, int *version, char *err,
                  size_t errlen)
{
    const contract_t *c = NULL;
    *version = cstore_version_for_month(v, year, month, &c);
    *zone = c ? contract_timezone(c) : t->timezone;
    if (tz_load(*zone, tz, err, errlen) != ST_OK)
        return ST_ERR_INTERNAL;
    sla_params_default(params, *tz);
    if (c)
        params_from_contract(c, params);
    return ST_OK;
}
