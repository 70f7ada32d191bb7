/* metrics_run.c - queue metrics of a period from the database (see metrics_run.h). */
#include "metrics_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_store.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define METRICS_MAX_CONTACTS 20000000 /* a guard, far above a month of any tenant */

/*
 * Reads the tenant's contacts offered in [from_us, to_us) into rows whose
 * strings point into *res (free rows, then res).  This reads contacts, not
 * rollups: exact for every metric, including percentiles and FCR.
 */
static int load_contacts(db_t *db, uint64_t tenant_id, int64_t from_us, int64_t to_us,
                         db_res_t **res, sla_contact_t **rows, size_t *n)
{
    db_val_t v[] = {db_u64(tenant_id), db_i64(from_us), db_i64(to_us)};
    int rc = db_exec(db,
                     "SELECT offered_us, answered_us, ended_us, wait_s, talk_s, hold_s, acw_s, "
                     "outcome, transferred, resolved, csat, queue, agent_id, customer_id "
                     "FROM contacts WHERE tenant_id = ? AND offered_us >= ? AND offered_us < ? "
                     "ORDER BY offered_us",
                     v, 3, res);
    if (rc != ST_OK)
        return rc;
    *n = db_res_count(*res);
    if (*n > METRICS_MAX_CONTACTS)
        return ST_ERR_TOO_LARGE;
    *rows = xcalloc(*n + 1, sizeof **rows);
    for (size_t i = 0; db_res_next(*res); i++) {
        sla_contact_t *c = &(*rows)[i];
        c->offered_us = db_res_i64(*res, 0);
        c->answered_us = db_res_is_null(*res, 1) ? INT64_MIN : db_res_i64(*res, 1);
        c->ended_us = db_res_i64(*res, 2);
        c->wait_s = (int32_t)db_res_i64(*res, 3);
        c->talk_s = (int32_t)db_res_i64(*res, 4);
        c->hold_s = (int32_t)db_res_i64(*res, 5);
        c->acw_s = (int32_t)db_res_i64(*res, 6);
        c->outcome = (int)db_res_i64(*res, 7);
        c->transferred = (int)db_res_i64(*res, 8);
        c->resolved = (int)db_res_i64(*res, 9);
        c->csat = (int)db_res_i64(*res, 10);
        c->queue = db_res_str(*res, 11, NULL);
        c->agent = db_res_str(*res, 12, NULL);
        c->customer_id = db_res_str(*res, 13, NULL);
    }
    return ST_OK;
}

int metrics_compute_many(db_t *db, const tenant_t *t, const sla_period_t *period,
                         const sla_by_t *by, size_t n_by, int64_t generated_us, sla_result_t **outs,
                         metrics_info_t *info, char *err, size_t errlen)
{
    cstore_versions_t versions;
    tz_t *tz = NULL;
    db_res_t *res = NULL;
    sla_contact_t *rows = NULL;
    size_t n = 0;
    const char *zone = NULL;
    memset(info, 0, sizeof *info);
    for (size_t i = 0; i < n_by; i++)
        outs[i] = NULL;
    int rc = cstore_load(db, t, &versions);
    if (rc != ST_OK)
        return rc;
    if ((rc = cstore_params(&versions, t, period->from_y, period->from_m, &info->params, &tz, &zone,
                            &info->contract_version, err, errlen)) != ST_OK)
        goto fail;
    snprintf(info->timezone, sizeof info->timezone, "%s", zone);
    info->params.generated_us = generated_us;
    int64_t start = tz_day_start(tz, period->from_y, period->from_m, period->from_d);
    int ny, nm, nd;
    tz_civil_from_days(tz_days_from_civil(period->to_y, period->to_m, period->to_d) + 1, &ny, &nm,
                       &nd);
    int64_t end = tz_day_start(tz, ny, nm, nd);
    /* FCR by repeat looks fcr_window_h past the period for repeats. */
    int64_t until = end + (int64_t)info->params.fcr_window_h * 3600;
    rc = load_contacts(db, t->id, start * 1000000, until * 1000000, &res, &rows, &n);
    if (rc == ST_ERR_TOO_LARGE)
        snprintf(err, errlen, "the period holds more than %d contacts", METRICS_MAX_CONTACTS);
    if (rc != ST_OK)
        goto fail;
    info->contacts = n;
    for (size_t i = 0; rc == ST_OK && i < n_by; i++)
        rc = sla_compute_contacts(&info->params, period, by[i], rows, n, &outs[i], err, errlen);
    if (rc != ST_OK) {
        for (size_t i = 0; i < n_by; i++) {
            sla_result_free(outs[i]);
            outs[i] = NULL;
        }
    }
fail:
    info->params.tz = NULL;
    free(rows);
    db_res_free(res);
    tz_free(tz);
    cstore_versions_free(&versions);
    return rc;
}

int metrics_compute(db_t *db, const tenant_t *t, const sla_period_t *period, sla_by_t by, int by2,
                    int64_t generated_us, sla_result_t **out, sla_result_t **out2,
                    metrics_info_t *info, char *err, size_t errlen)
{
    sla_by_t bys[2] = {by, by2 >= 0 ? (sla_by_t)by2 : by};
    sla_result_t *outs[2] = {NULL, NULL};
    size_t n_by = by2 >= 0 && out2 ? 2 : 1;
    int rc = metrics_compute_many(db, t, period, bys, n_by, generated_us, outs, info, err, errlen);
    *out = outs[0];
    if (out2)
        *out2 = outs[1];
    return rc;
}
