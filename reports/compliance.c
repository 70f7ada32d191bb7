/* compliance.c - a month's contract compliance and credits (see compliance.h). */
#include "compliance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

double compliance_metric_value(contract_metric_t metric, const sla_row_t *r,
                               const qa_metrics_row_t *qa)
{
    switch (metric) {
    case CM_SERVICE_LEVEL:
        return r->service_level;
    case CM_ABANDON_RATE:
        return r->abandon_rate;
    case CM_ANSWER_RATE:
        return r->answer_rate;
    case CM_ASA_S:
        return r->asa_s;
    case CM_AVG_ABANDON_S:
        return r->avg_abandon_s;
    case CM_MAX_WAIT_S:
        return r->max_wait_s;
    case CM_WAIT_P90_S:
        return r->wait_p90_s;
    case CM_AHT_S:
        return r->aht_s;
    case CM_TRANSFER_RATE:
        return r->transfer_rate;
    case CM_INTERVAL_COMPLIANCE:
        return r->interval_compliance;
    case CM_FCR:
        return r->fcr;
    case CM_CSAT:
        return r->csat;
    case CM_CSAT_MEAN:
        return r->csat_mean;
    case CM_QA_SCORE:
        return qa ? qa->qa_score : NAN;
    case CM_QA_PASS_RATE:
        return qa ? qa->qa_pass_rate : NAN;
    case CM_FATAL_RATE:
        return qa ? qa->fatal_rate : NAN;
    case CM_QA_COVERAGE:
        return qa ? qa->qa_coverage : NAN;
    case CM_COUNT:
        break;
    }
    return NAN;
}

int compliance_months(const compliance_input_t *in, size_t n, credits_result_t *out, char *err,
                      size_t errlen)
{
    credits_month_t *months = xcalloc(n ? n : 1, sizeof *months);
    double **values = xcalloc(n ? n : 1, sizeof *values);
    for (size_t k = 0; k < n; k++) {
        const contract_t *c = in[k].contract;
        if (!c) {
            months[k] = (credits_month_t){.year = in[k].year, .month = in[k].month};
            continue;
        }
        size_t items = contract_item_count(c);
        values[k] = xcalloc(items + 1, sizeof *values[k]);
        for (size_t i = 0; i < items; i++)
            values[k][i] =
                compliance_metric_value(contract_item(c, i)->metric, in[k].total, in[k].qa);
        credits_month_from_contract(c, in[k].year, in[k].month, values[k], &months[k]);
    }
    memset(out, 0, sizeof *out);
    int rc = credits_compute(months, n, out, err, errlen);
    for (size_t k = 0; k < n; k++)
        free(values[k]);
    free(values);
    free(months);
    return rc;
}

int compliance_month(const contract_t *c, int year, int month, const sla_row_t *month_row,
                     const qa_metrics_row_t *qa, credits_result_t *out, char *err, size_t errlen)
{
    compliance_input_t in = {year, month, c, month_row, qa};
    return compliance_months(&in, 1, out, err, errlen);
}
