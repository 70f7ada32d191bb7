/*
 * report_model_cover.c - the Cover's summary, the page a client reads
 * first: the verdict in one line ("2 of 3 targets met; credit 6,000.00
 * CNY"), each contract item of the month with target, actual, result,
 * credit and its value in the months before (table "cover_items"), the
 * credits with the cap and earn-back, and the QA score with its 95 %
 * interval and the "sample too small" caution (facts of table "cover").
 *
 * Everything comes from what the Scorecard computed (its credits result)
 * and the months report_model_contract.c read before the report's month,
 * so the Cover and the Scorecard never disagree.  Texts are in the
 * workbook's language; amounts in texts are grouped ("120,000.00").
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "compliance.h"
#include "report_model_int.h"
#include "status.h"

/* A text in each language, indexed by xl_lang_t. */
typedef const char *const lang_text_t[XL_LANG_COUNT];

/* An amount in cents as "120,000.00" (grouped by thousands, "-" when negative). */
static void money_grouped(int64_t cents, char *out, size_t len)
{
    char digits[32];
    uint64_t a = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
    int n = snprintf(digits, sizeof digits, "%" PRIu64, a / 100);
    size_t o = 0;
    if (cents < 0 && o + 1 < len)
        out[o++] = '-';
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < len)
            out[o++] = ',';
        if (o + 1 < len)
            out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(out + o, len - o, ".%02" PRIu64, a % 100);
}

/* The trend of an item against the month before, by its comparator:
 * "better", "worse" or "same"; "" when either value is undefined. */
static const char *trend_code(contract_cmp_t cmp, double now, double before)
{
    if (isnan(now) || isnan(before))
        return "";
    if (now == before)
        return "same";
    bool up = now > before;
    return up == (cmp == CONTRACT_CMP_GE) ? "better" : "worse";
}

/* One row of "cover_items": an item of the month and its trend. */
static int item_row(xl_table_t *t, const credits_row_t *c, const rmodel_month_t *prev)
{
    static const char *const prev_keys[RMODEL_TREND_MONTHS] = {"prev_1", "prev_2", "prev_3"};
    double before[RMODEL_TREND_MONTHS];
    for (size_t j = 0; j < RMODEL_TREND_MONTHS; j++)
        before[j] = compliance_metric_value(c->metric, &prev[j].total, &prev[j].qa);
    const char *status = c->status == CREDITS_MET      ? "met"
                         : c->status == CREDITS_MISSED ? "missed"
                                                       : "not_measurable";
    const rmodel_cell_t cells[] = {
        RM_TEXT("item", contract_metric_name(c->metric)),
        RM_TEXT("unit", rmodel_metric_unit(c->metric)),
        RM_TEXT("comparator", contract_cmp_name(c->comparator)),
        RM_NUM("target", c->target),
        RM_NUM("value", c->value),
        RM_TEXT("status", status),
        RM_NUM("met", c->status == CREDITS_MET      ? 1
                      : c->status == CREDITS_MISSED ? 0
                                                    : NAN),
        RM_NUM("credit", (double)c->applied_cents / 100.0),
        RM_NUM(prev_keys[2], before[2]),
        RM_NUM(prev_keys[1], before[1]),
        RM_NUM(prev_keys[0], before[0]),
        RM_TEXT("trend", trend_code(c->comparator, c->value, before[0])),
    };
    return rmodel_row(t, RM_CELLS(cells));
}

/* The verdict line: how many targets were met and what the month credits. */
static void verdict_text(const rmodel_ctx_t *x, const credits_total_t *m, char *out, size_t len)
{
    static const lang_text_t none = {"No contract for this month: no targets, no credit.",
                                     "本月无合同：无考核目标，无扣减。"};
    static const lang_text_t met = {"%zu of %zu targets met", "达成 %zu 项目标（共 %zu 项）"};
    static const lang_text_t unmeasured = {", %zu not measurable", "，%zu 项无法衡量"};
    static const lang_text_t credit = {"; credit %s %s", "；扣减 %s %s"};
    static const lang_text_t no_credit = {"; no credit", "；无扣减"};
    static const lang_text_t back = {"; %s %s of earlier months earned back",
                                     "；返还此前扣减 %s %s"};
    xl_lang_t l = xl_model_lang(x->m);
    const char *cur = x->contract ? contract_currency(x->contract) : "";
    char a[40];
    size_t o;
    if (!m) {
        snprintf(out, len, "%s", none[l]);
        return;
    }
    o = (size_t)snprintf(out, len, met[l], m->met, m->met + m->missed + m->not_measurable);
    if (m->not_measurable && o < len)
        o += (size_t)snprintf(out + o, len - o, unmeasured[l], m->not_measurable);
    money_grouped(m->credited_cents, a, sizeof a);
    if (o < len)
        o += (size_t)(m->credited_cents ? snprintf(out + o, len - o, credit[l], a, cur)
                                        : snprintf(out + o, len - o, "%s", no_credit[l]));
    money_grouped(m->earned_back_cents, a, sizeof a);
    if (m->earned_back_cents && o < len)
        snprintf(out + o, len - o, back[l], a, cur);
}

/* The earn-back status of the month: what is at risk until when, and what
 * earlier credits this month returns or confirms. */
static void earn_back_text(const rmodel_ctx_t *x, const credits_result_t *cr,
                           const credits_total_t *m, char *out, size_t len)
{
    static const lang_text_t no_contract = {"no contract", "无合同"};
    static const lang_text_t no_clause = {"none: the contract has no earn-back",
                                          "无：合同没有返还条款"};
    static const lang_text_t at_risk = {
        "%s%s %s of this month's credit at risk: returned if each missed item is met in every "
        "month until %04d-%02d",
        "%s本月扣减中 %s %s 可返还：若未达标项在 %04d-%02d 前每月均达标"};
    static const lang_text_t returned = {"%s%s %s of earlier credits returned (earned back)",
                                         "%s返还此前扣减 %s %s"};
    static const lang_text_t kept = {"%s%s %s of earlier credits confirmed (not earned back)",
                                     "%s确认此前扣减 %s %s（未返还）"};
    static const lang_text_t nothing = {"nothing at risk, nothing settled this month",
                                        "本月无可返还或待结算的扣减"};
    xl_lang_t l = xl_model_lang(x->m);
    char a[40];
    size_t o = 0;
    out[0] = '\0';
    if (!x->contract || !m) {
        snprintf(out, len, "%s", no_contract[l]);
        return;
    }
    if (contract_earn_back_months(x->contract) == 0 && !m->earned_back_cents &&
        !m->confirmed_cents) {
        snprintf(out, len, "%s", no_clause[l]);
        return;
    }
    const char *cur = contract_currency(x->contract), *sep = l == XL_LANG_ZH ? "；" : "; ";
    if (m->at_risk_cents) {
        int uy = 0, um = 0;
        for (size_t i = 0; i < cr->n_rows && !uy; i++) {
            const credits_row_t *r = &cr->rows[i];
            if (r->year == m->year && r->month == m->month && r->at_risk) {
                uy = r->until_year;
                um = r->until_month;
            }
        }
        money_grouped(m->at_risk_cents, a, sizeof a);
        o += (size_t)snprintf(out + o, len - o, at_risk[l], "", a, cur, uy, um);
    }
    if (m->earned_back_cents && o < len) {
        money_grouped(m->earned_back_cents, a, sizeof a);
        o += (size_t)snprintf(out + o, len - o, returned[l], o ? sep : "", a, cur);
    }
    if (m->confirmed_cents && o < len) {
        money_grouped(m->confirmed_cents, a, sizeof a);
        o += (size_t)snprintf(out + o, len - o, kept[l], o ? sep : "", a, cur);
    }
    if (o == 0)
        snprintf(out, len, "%s", nothing[l]);
}

/* The QA sample in words: how many evaluations, and whether they are
 * enough for the contract's precision (METRICS.md "Sampling precision"). */
static void qa_sample_text(const rmodel_ctx_t *x, char *out, size_t len)
{
    static const lang_text_t none = {"no evaluations this month: no QA score",
                                     "本月无质检：无质检得分"};
    static const lang_text_t tiny = {
        "%zu evaluation(s): sample too small (an interval needs at least 2)",
        "%zu 份质检：样本不足（置信区间至少需要 2 份）"};
    static const lang_text_t small = {
        "%zu evaluations: sample too small: the interval is +/-%.1f points, wider than the "
        "contract's +/-%.4g (%zu evaluations needed)",
        "%zu 份质检：样本不足：置信区间为 ±%.1f 分，超过合同要求的 ±%.4g 分（需 %zu 份）"};
    static const lang_text_t enough = {
        "%zu evaluations: precise to +/-%.1f points (the contract asks +/-%.4g)",
        "%zu 份质检：精度 ±%.1f 分（合同要求 ±%.4g 分）"};
    const qa_metrics_row_t *q = &x->qa->qa.tenant;
    xl_lang_t l = xl_model_lang(x->m);
    double prec = x->contract ? contract_qa_precision_pts(x->contract) : 5.0;
    if (q->evaluations == 0)
        snprintf(out, len, "%s", none[l]);
    else if (isnan(q->precision.half_width))
        snprintf(out, len, tiny[l], q->evaluations);
    else if (q->precision.flagged)
        snprintf(out, len, small[l], q->evaluations, q->precision.half_width, prec,
                 q->precision.needed_n);
    else
        snprintf(out, len, enough[l], q->evaluations, q->precision.half_width, prec);
}

int rmodel_cover_summary(rmodel_ctx_t *x, const credits_result_t *cr, const rmodel_month_t *prev,
                         size_t n)
{
    xl_table_t *items = xl_model_table(x->m, "cover_items");
    xl_table_t *cover = xl_model_table(x->m, XL_TABLE_COVER);
    const credits_total_t *m = NULL;
    if (!items || !cover || (cr && n < RMODEL_TREND_MONTHS))
        return ST_ERR_INTERNAL;
    for (size_t i = 0; cr && i < cr->n_months; i++)
        if (cr->months[i].year == x->req->year && cr->months[i].month == x->req->month)
            m = &cr->months[i];
    int rc = ST_OK;
    for (size_t i = 0; m && rc == ST_OK && i < cr->n_rows; i++) {
        const credits_row_t *r = &cr->rows[i];
        if (r->year == m->year && r->month == m->month && r->kind == CREDITS_ROW_ITEM)
            rc = item_row(items, r, prev);
    }
    char verdict[320], earn[512], sample[320];
    verdict_text(x, m, verdict, sizeof verdict);
    earn_back_text(x, cr, m, earn, sizeof earn);
    qa_sample_text(x, sample, sizeof sample);
    const qa_metrics_row_t *q = &x->qa->qa.tenant;
    bool has_qa = q->evaluations > 0;
    const rmodel_cell_t cells[] = {
        RM_TEXT("verdict", verdict),
        RM_NUM("credit_uncapped", m ? (double)m->uncapped_cents / 100.0 : NAN),
        RM_NUM("credit_cap", m ? (double)m->cap_cents / 100.0 : NAN),
        RM_NUM("credit_owed", m ? (double)m->credited_cents / 100.0 : NAN),
        RM_NUM("net_credit", m ? (double)(m->credited_cents - m->earned_back_cents) / 100.0 : NAN),
        RM_TEXT("earn_back", earn),
        RM_NUM("qa_score", has_qa ? q->qa_score : NAN),
        RM_NUM("qa_ci_low", has_qa ? q->ci_low : NAN),
        RM_NUM("qa_ci_high", has_qa ? q->ci_high : NAN),
        RM_TEXT("qa_sample", sample),
    };
    return rc == ST_OK ? rmodel_cells(cover, 0, RM_CELLS(cells)) : rc;
}
