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

int compliance_month(const contract_t *c, int year, int month, const sla_row_t *month_row,
                     const qa_metrics_row_t *qa, credits_result_t *out, char *err, size_t errlen)
{
    size_t n = contract_item_count(c);
    double *values = xcalloc(n + 1, sizeof *values);
    for (size_t i = 0; i < n; i++)
        values[i] = compliance_metric_value(contract_item(c, i)->metric, month_row, qa);
    credits_month_t cm;
    credits_month_from_contract(c, year, month, values, &cm);
    memset(out, 0, sizeof *out);
    int rc = credits_compute(&cm, 1, out, err, errlen);
    free(values);
    return rc;
}
