/*
 * report_model_contract.c - the sheets of the contract: the Cover facts,
 * the Scorecard (each contract item of the month with its credit, and the
 * earn-back outcomes the month settles) and the Methodology (the
 * METRICS.md definitions in force, with the contract's parameters).
 *
 * A scorecard item that is not measurable has an empty "met" cell.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "credits.h"
#include "report_model_int.h"
#include "rfc3339.h"
#include "status.h"
#include "xmem.h"

int rmodel_cover(xl_model_t *m, const rmodel_req_t *q, const char *time_zone)
{
    char period[16], generated[40], id[32];
    snprintf(period, sizeof period, "%04d-%02d", q->year, q->month);
    rfc3339_format_utc(q->generated_at * 1000000, generated, sizeof generated);
    snprintf(id, sizeof id, "%" PRIu64, q->report_id);
    /* Short enough for one printed line; the auditor bundle's VERIFY.txt says more. */
    const char *verify = "openssl cms -verify -binary -inform DER -in R.p7s -content R.xlsx "
                         "-CAfile ca.pem -out /dev/null";
    bool zh = xl_model_lang(m) == XL_LANG_ZH;
    const char *ca_check =
        zh ? "信任 ca.pem 之前，请将上面的 CA 指纹与独立获得的指纹比对（GET /v1/certificates 的 "
             "\"ca\"，或外包方公布的指纹）：签名只能证明工作簿来自该 CA 签发的证书。"
           : "Before trusting ca.pem, compare the CA fingerprint above with one you obtain "
             "yourself (GET /v1/certificates, member \"ca\", or the outsourcer's published "
             "fingerprint): a valid signature only proves the workbook comes from a certificate "
             "that CA issued.";
    const char *facts[][2] = {
        {XL_FACT_TENANT, q->tenant->name},
        {XL_FACT_PERIOD, period},
        {XL_FACT_TIME_ZONE, time_zone},
        {XL_FACT_GENERATED_AT, generated},
        {XL_FACT_TEMPLATE, q->template_name},
        {XL_FACT_REPORT_ID, id},
        {XL_FACT_CERT_FP, q->cert_fingerprint ? q->cert_fingerprint : ""},
        {XL_FACT_CA_FP, q->ca_fingerprint ? q->ca_fingerprint : ""},
        {XL_FACT_CA_CHECK, ca_check},
        {XL_FACT_VERIFY, verify},
    };
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof facts / sizeof facts[0]; i++)
        rc = xl_model_cover_text(m, facts[i][0], facts[i][1]);
    return rc;
}

const char *rmodel_metric_unit(contract_metric_t m)
{
    switch (contract_metric_kind(m)) {
    case CM_KIND_RATE:
        return "rate";
    case CM_KIND_SECONDS:
        return "seconds";
    case CM_KIND_SCORE:
        return "score";
    case CM_KIND_CSAT_MEAN:
        break;
    }
    return "mean";
}

/* The status code of a credits row (the template's "labels" translate it). */
static const char *credit_status_code(const credits_row_t *c)
{
    if (c->kind == CREDITS_ROW_EARNED_BACK)
        return "earned_back";
    if (c->kind == CREDITS_ROW_CONFIRMED)
        return "confirmed";
    return c->status == CREDITS_MET      ? "met"
           : c->status == CREDITS_MISSED ? "missed"
                                         : "not_measurable";
}

/* The note of a credits row: its earn-back, in the workbook's language. */
static void credit_note(const credits_row_t *c, xl_lang_t lang, char *out, size_t len)
{
    bool zh = lang == XL_LANG_ZH;
    out[0] = '\0';
    if (c->kind == CREDITS_ROW_ITEM && c->at_risk)
        snprintf(out, len,
                 zh ? "可返还: %04d-%02d 前连续达标即返还" : "at risk of earn-back until %04d-%02d",
                 c->until_year, c->until_month);
    else if (c->kind == CREDITS_ROW_EARNED_BACK)
        snprintf(out, len, zh ? "%04d-%02d 的扣减已返还" : "credit of %04d-%02d earned back",
                 c->from_year, c->from_month);
    else if (c->kind == CREDITS_ROW_CONFIRMED)
        snprintf(out, len, zh ? "%04d-%02d 的扣减已确认" : "credit of %04d-%02d confirmed",
                 c->from_year, c->from_month);
}

/* Whether a contract metric is judged on the month's QA sample. */
static bool metric_sampled(contract_metric_t m)
{
    return m == CM_QA_SCORE || m == CM_QA_PASS_RATE || m == CM_FATAL_RATE;
}

/*
 * The caution on a QA item judged on a sample too small for the contract's
 * precision (METRICS.md "Sampling precision"), appended to out ("" when the
 * sample is precise enough, or there is none).
 */
static void sample_note(const rmodel_ctx_t *x, contract_metric_t m, char *out, size_t len)
{
    const qa_metrics_row_t *q = &x->qa->qa.tenant;
    size_t used = strlen(out);
    if (!metric_sampled(m) || q->evaluations == 0 || !q->precision.flagged || used + 1 >= len)
        return;
    double prec = x->contract ? contract_qa_precision_pts(x->contract) : 5.0;
    bool zh = xl_model_lang(x->m) == XL_LANG_ZH;
    char needed[48] = "";
    if (q->precision.needed_n > 0)
        snprintf(needed, sizeof needed, zh ? "，需 %zu 份" : "; %zu needed", q->precision.needed_n);
    snprintf(out + used, len - used,
             zh ? "%s样本不足：仅 %zu 份质检，达不到 ±%.4g 分的精度%s"
                : "%ssample too small: judged on %zu evaluations, short of the contract's "
                  "+/-%.4g points%s",
             used ? "; " : "", q->evaluations, prec, needed);
}

/* One Scorecard row from a credits row of the report's month. */
static int scorecard_row(rmodel_ctx_t *x, xl_table_t *t, const credits_row_t *c)
{
    bool item = c->kind == CREDITS_ROW_ITEM;
    double met = !item ? NAN : c->status == CREDITS_MET ? 1 : c->status == CREDITS_MISSED ? 0 : NAN;
    /* An earn-back returns the credit: it counts against this month's total. */
    double applied = (double)c->applied_cents / 100.0;
    if (c->kind == CREDITS_ROW_EARNED_BACK)
        applied = -applied;
    else if (c->kind == CREDITS_ROW_CONFIRMED)
        applied = 0; /* already credited in its own month */
    char note[320];
    credit_note(c, xl_model_lang(x->m), note, sizeof note);
    if (item)
        sample_note(x, c->metric, note, sizeof note);
    const rmodel_cell_t cells[] = {
        RM_TEXT("item", contract_metric_name(c->metric)),
        RM_TEXT("comparator", item ? contract_cmp_name(c->comparator) : ""),
        RM_TEXT("unit", rmodel_metric_unit(c->metric)),
        RM_NUM("target", item ? c->target : NAN),
        RM_NUM("value", item ? c->value : NAN),
        RM_TEXT("status", credit_status_code(c)),
        RM_NUM("met", met),
        RM_NUM("credit_pct", c->credit_pct_centi / 100.0),
        RM_NUM("credit", item ? (double)c->credit_cents / 100.0 : 0),
        RM_NUM("applied", applied),
        RM_TEXT("note", note),
    };
    return rmodel_row(t, RM_CELLS(cells));
}

/*
 * The n months before the report's: prev[j] is the month j + 1 months
 * before, each with the contract in force then and its own metrics
 * (report_model_month()).  The earn-back months (METRICS.md "Earn-back")
 * and the Cover's trend read them.
 */
static int months_before(rmodel_ctx_t *x, rmodel_month_t *prev, size_t n, char *err, size_t errlen)
{
    int y = x->req->year, m = x->req->month;
    for (size_t j = 0; j < n; j++) {
        if (--m == 0) {
            m = 12;
            y--;
        }
        int rc = report_model_month(x->db, x->req->tenant, y, m, x->req->generated_at, &prev[j],
                                    err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

/*
 * The months a Scorecard's credits are computed over: the report's month
 * and, with earn-back over N months, the N before it (prev[N-1] .. prev[0]),
 * whose credits this month may settle.  in[N] is the month.
 */
static void scorecard_months(const rmodel_ctx_t *x, compliance_input_t *in, size_t n_eb,
                             const rmodel_month_t *prev)
{
    int y = x->req->year, m = x->req->month;
    for (size_t k = n_eb + 1; k-- > 0;) {
        in[k] = (compliance_input_t){y, m, NULL, NULL, NULL};
        if (k == n_eb) {
            in[k].contract = x->contract;
            in[k].total = x->month;
            in[k].qa = &x->qa->qa.tenant;
        } else {
            const rmodel_month_t *p = &prev[n_eb - 1 - k];
            in[k].contract = contract_version_for_month(
                (const contract_t *const *)x->versions.items, x->versions.n, y, m);
            in[k].total = &p->total;
            in[k].qa = &p->qa;
        }
        if (--m == 0) {
            m = 12;
            y--;
        }
    }
}

/* Scorecard: one row per contract item of the month, then the earn-back
 * outcomes this month settles (credits.h over the months they span); and
 * the Cover's summary of the same (rmodel_cover_summary()). */
int rmodel_table_scorecard(rmodel_ctx_t *x, char *err, size_t errlen)
{
    xl_table_t *t = xl_model_table(x->m, "scorecard");
    if (!t)
        return ST_ERR_INTERNAL;
    if (!x->contract)
        return rmodel_cover_summary(x, NULL, NULL, 0); /* no items: an empty scorecard */
    size_t n_eb = (size_t)contract_earn_back_months(x->contract);
    size_t n_prev = n_eb > RMODEL_TREND_MONTHS ? n_eb : RMODEL_TREND_MONTHS;
    compliance_input_t *in = xcalloc(n_eb + 1, sizeof *in);
    rmodel_month_t *prev = xcalloc(n_prev, sizeof *prev);
    credits_result_t cr;
    memset(&cr, 0, sizeof cr);
    int rc = months_before(x, prev, n_prev, err, errlen);
    if (rc == ST_OK) {
        scorecard_months(x, in, n_eb, prev);
        rc = compliance_months(in, n_eb + 1, &cr, err, errlen);
    }
    for (size_t i = 0; rc == ST_OK && i < cr.n_rows; i++)
        if (cr.rows[i].year == x->req->year && cr.rows[i].month == x->req->month)
            rc = scorecard_row(x, t, &cr.rows[i]);
    if (rc == ST_OK)
        rc = rmodel_cover_summary(x, &cr, prev, n_prev);
    credits_result_free(&cr);
    free(prev);
    free(in);
    return rc;
}

/* A money amount in cents as "120,000.00"-free plain text "120000.00". */
static void money_text(int64_t cents, char *out, size_t len)
{
    snprintf(out, len, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

/* The business hours of the contract as "mon 08:00-20:00; ..." or "every interval". */
static void hours_text(const sla_params_t *p, char *out, size_t len)
{
    static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    if (!p->has_hours) {
        snprintf(out, len, "business hours: every interval");
        return;
    }
    size_t used = (size_t)snprintf(out, len, "business hours:");
    for (int i = 1; i <= 7 && used < len; i++) {
        const sla_hours_t *h = &p->hours[i % 7]; /* Monday first */
        if (h->open_min == h->close_min)
            continue;
        used += (size_t)snprintf(out + used, len - used, " %s %02d:%02d-%02d:%02d", days[i % 7],
                                 h->open_min / 60, h->open_min % 60, h->close_min / 60,
                                 h->close_min % 60);
    }
}

/* Methodology: the METRICS.md definitions in force, with the parameters. */
int rmodel_table_methodology(rmodel_ctx_t *x)
{
    xl_table_t *t = xl_model_table(x->m, "methodology");
    const sla_params_t *p = &x->info.params;
    const contract_t *c = x->contract;
    char contract[96], zone[160], offered[96], sl[192], ic[256], fcr[96], csat[64], qa[96],
        credit[192];
    if (c) {
        int y, mo, d;
        contract_effective_from(c, &y, &mo, &d);
        snprintf(contract, sizeof contract, "version %d, effective from %04d-%02d-%02d",
                 x->info.contract_version, y, mo, d);
    } else {
        snprintf(contract, sizeof contract, "none: the METRICS.md defaults");
    }
    snprintf(zone, sizeof zone, "time zone %s; intervals of %d min", x->info.timezone,
             p->interval_min);
    snprintf(offered, sizeof offered, "short abandon: under %d s (0 = off)", p->short_abandon_s);
    if (isnan(p->sl_target))
        snprintf(sl, sizeof sl, "sl_formula %s; threshold %d s (inclusive); no target",
                 sla_formula_name(p->sl_formula), p->sl_threshold_s);
    else
        snprintf(sl, sizeof sl, "sl_formula %s; threshold %d s (inclusive); target %.4g",
                 sla_formula_name(p->sl_formula), p->sl_threshold_s, p->sl_target);
    hours_text(p, ic, sizeof ic);
    snprintf(fcr, sizeof fcr, "fcr_method %s; window %d h",
             p->fcr_method == SLA_FCR_REPEAT ? "repeat" : "disposition", p->fcr_window_h);
    snprintf(csat, sizeof csat, "good survey: >= %d of 5", p->csat_good_min);
    snprintf(qa, sizeof qa, "qa_pass_mark %.4g; qa_precision_pts %.4g",
             c ? contract_qa_pass_mark(c) : 85.0, c ? contract_qa_precision_pts(c) : 5.0);
    if (c) {
        char fee[32], cap[32];
        int64_t fee_cents = contract_monthly_fee_cents(c);
        money_text(fee_cents, fee, sizeof fee);
        money_text(credits_pct_of(fee_cents, contract_credit_cap_centi(c)), cap, sizeof cap);
        snprintf(credit, sizeof credit,
                 "monthly fee %s %s; credit cap %.2f%% = %s %s; earn-back %d months", fee,
                 contract_currency(c), contract_credit_cap_centi(c) / 100.0, cap,
                 contract_currency(c), contract_earn_back_months(c));
    } else {
        snprintf(credit, sizeof credit, "no contract: no credits");
    }
    const char *rows[][3] = {
        {"Contract", "The contract version in force at the first instant of the month.", contract},
        {"Time",
         "Local time of the contract's zone; a contact belongs to the interval, day and month "
         "containing its offered_at.",
         zone},
        {"Offered",
         "answered + abandoned + overflow; abandons shorter than the short-abandon threshold "
         "are not offered.",
         offered},
        {"Service level",
         "offered: answered within T / offered; answered: answered within T / answered; "
         "abandon_neutral: answered within T / (offered - abandoned within T); "
         "abandon_positive: (answered + abandoned within T) / offered.",
         sl},
        {"ASA", "Sum of waits of answered contacts / answered.", ""},
        {"AHT", "Sum of talk + hold + after-call work of answered contacts / answered.", ""},
        {"Abandon rate", "abandoned / offered.", ""},
        {"Interval compliance",
         "Share of business-hour intervals with offered > 0 whose service level meets the "
         "target.",
         ic},
        {"FCR",
         "repeat: answered contacts with a customer id and no other contact of that customer "
         "within the window / answered with a customer id; disposition: resolved / answered "
         "with a disposition.",
         fcr},
        {"CSAT", "Good surveys / surveys; contacts without a survey are left out.", csat},
        {"QA",
         "qa_score: mean final score (an overturned appeal's new score); pass rate: share "
         ">= pass mark; fatal rate: share with a failed critical item; coverage: evaluated "
         "contacts / answered contacts.",
         qa},
        {"QA by dimension",
         "A scorecard item (or its section) may name a dimension: empathy, accuracy, "
         "responsiveness, reliability or the tenant's own.  An evaluation's dimension score is "
         "100 x points earned / points possible on that dimension's applicable items (na left "
         "out); a failed critical item zeroes the evaluation's score but not its dimension "
         "scores.  A group's score is the mean over its evaluations with an applicable item of "
         "the dimension; n is their number.  One column per dimension of the month.",
         ""},
        {"Case types",
         "A contact's reason (its case type, empty: none).  The Cases sheet (internal) gives the "
         "metrics above per case type, counted from the month's contacts, and the QA of the "
         "evaluations whose contact has that reason; evaluations of an unknown contact are in "
         "no case type.",
         ""},
        {"Service credits",
         "A missed item credits credit_pct of the monthly fee; the month's total is capped; "
         "an item with no value is not measurable and credits nothing.",
         credit},
        {"Undefined values", "A ratio with a zero denominator is shown empty, never as 0.", ""},
        {"What the signature proves",
         "A valid signature (openssl cms -verify, or POST /v1/verify) proves integrity and "
         "signer: this workbook is byte for byte the one signed with the key of the signing "
         "certificate, which chains to the CA (compare the CA's fingerprint on the Cover with "
         "one obtained independently).  The signing time is the signer's own claim, not a "
         "third party's timestamp.  The data digest on the Cover covers the values the sheets "
         "show: anyone holding the data can rebuild the workbook (slattest report --rebuild) "
         "and compare.  Whether this version is current: GET /v1/tenants/{t}/reports/{id} says "
         "current and superseded_by; a later version's Changes sheet lists what moved.",
         ""},
    };
    int rc = ST_OK;
    for (size_t i = 0; rc == ST_OK && i < sizeof rows / sizeof rows[0]; i++) {
        const rmodel_cell_t cells[] = {RM_TEXT("term", rows[i][0]),
                                       RM_TEXT("definition", rows[i][1]),
                                       RM_TEXT("parameters", rows[i][2])};
        rc = rmodel_row(t, RM_CELLS(cells));
    }
    return rc;
}
