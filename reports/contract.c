/* contract.c - contract parsing, validation and version selection (see contract.h). */
#include "contract.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "jsonutil.h"
#include "status.h"
#include "tz.h"
#include "xmem.h"

#define PATH_MAX_LEN 96
#define QUOTE_MAX    40 /* bytes of untrusted text shown in a message */
#define WEIGHT_MAX   1e6

#define DEF_INTERVAL_MIN     30
#define DEF_SL_THRESHOLD_S   20
#define DEF_SHORT_ABANDON_S  5
#define DEF_FCR_WINDOW_H     72
#define DEF_CSAT_GOOD_MIN    4
#define DEF_QA_PASS_MARK     85.0
#define DEF_QA_PRECISION_PTS 5.0
#define DEF_QA_LAG_TARGET_H  72.0
#define DEF_CALIBRATION_TOL  5.0
#define DEF_EARN_BACK_MONTHS 0
#define MINUTES_PER_DAY      1440

struct contract {
    int eff_year, eff_month, eff_day;
    int64_t eff_days;
    char timezone[TZ_NAME_MAX + 1];
    int interval_min;
    int sl_threshold_s;
    contract_sl_formula_t sl_formula;
    int short_abandon_s;
    contract_fcr_method_t fcr_method;
    int fcr_window_h;
    int csat_good_min;
    double qa_pass_mark;
    double qa_precision_pts;
    double qa_lag_target_h;
    double calibration_tolerance_pts;
    bool has_business_hours;
    int bh_start[7]; /* by wday, 0 = Sunday; -1 when closed */
    int bh_end[7];
    double monthly_fee;
    int64_t monthly_fee_cents;
    char currency[4];
    double credit_cap_pct;
    int32_t credit_cap_centi;
    int earn_back_months;
    bool has_agent_hour_cost;
    int64_t agent_hour_cost_cents; /* money per productive agent hour */
    double shrinkage_pct;          /* 0 <= x < 100 */
    double weights[CONTRACT_W_COUNT];
    char language[3];
    size_t n_items;
    contract_item_t items[CM_COUNT]; /* each metric at most once */
};

/* The one table of metrics a contract item can target (METRICS.md). */
static const struct {
    const char *name;
    contract_metric_kind_t kind;
} metric_table[CM_COUNT] = {
    [CM_SERVICE_LEVEL] = {"service_level", CM_KIND_RATE},
    [CM_ABANDON_RATE] = {"abandon_rate", CM_KIND_RATE},
    [CM_ANSWER_RATE] = {"answer_rate", CM_KIND_RATE},
    [CM_ASA_S] = {"asa_s", CM_KIND_SECONDS},
    [CM_AVG_ABANDON_S] = {"avg_abandon_s", CM_KIND_SECONDS},
    [CM_MAX_WAIT_S] = {"max_wait_s", CM_KIND_SECONDS},
    [CM_WAIT_P90_S] = {"wait_p90_s", CM_KIND_SECONDS},
    [CM_AHT_S] = {"aht_s", CM_KIND_SECONDS},
    [CM_TRANSFER_RATE] = {"transfer_rate", CM_KIND_RATE},
    [CM_INTERVAL_COMPLIANCE] = {"interval_compliance", CM_KIND_RATE},
    [CM_FCR] = {"fcr", CM_KIND_RATE},
    [CM_CSAT] = {"csat", CM_KIND_RATE},
    [CM_CSAT_MEAN] = {"csat_mean", CM_KIND_CSAT_MEAN},
    [CM_QA_SCORE] = {"qa_score", CM_KIND_SCORE},
    [CM_QA_PASS_RATE] = {"qa_pass_rate", CM_KIND_RATE},
    [CM_FATAL_RATE] = {"fatal_rate", CM_KIND_RATE},
    [CM_QA_COVERAGE] = {"qa_coverage", CM_KIND_RATE},
};

static const char *const sl_formula_names[] = {"offered", "answered", "abandon_neutral",
                                               "abandon_positive", NULL};
static const char *const fcr_method_names[] = {"repeat", "disposition", NULL};
static const char *const cmp_names[] = {">=", "<=", NULL};
static const char *const language_names[] = {"en", "zh", NULL};
static const char *const weight_names[] = {"quota", "timeliness", "calibration", "accuracy", NULL};
/* JSON day keys; day_names[i] is wday (i + 1) % 7, so Monday comes first. */
static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static const char *const top_keys[] = {"effective_from",
                                       "timezone",
                                       "interval_min",
                                       "sl_threshold_s",
                                       "sl_formula",
                                       "short_abandon_s",
                                       "fcr_method",
                                       "fcr_window_h",
                                       "csat_good_min",
                                       "qa_pass_mark",
                                       "qa_precision_pts",
                                       "qa_lag_target_h",
                                       "calibration_tolerance_pts",
                                       "business_hours",
                                       "monthly_fee",
                                       "currency",
                                       "credit_cap_pct",
                                       "earn_back_months",
                                       "inspector_weights",
                                       "items",
                                       "language",
                                       "agent_hour_cost",
                                       "shrinkage_pct",
                                       NULL};
static const char *const item_keys[] = {"metric", "comparator", "target", "credit_pct", NULL};

/* Copies untrusted text for a message: bounded, non-printable bytes as '?'. */
static void text_quote(char *dst, size_t dstlen, const char *s)
{
    size_t o = 0, i = 0;
    for (; s[i] && i < QUOTE_MAX && o + 1 < dstlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[o++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
    }
    for (int k = 0; s[i] && k < 3 && o + 1 < dstlen; k++)
        dst[o++] = '.';
    dst[o] = '\0';
}

/* "path.key", or "key" at the root, so messages read like JSON paths. */
static void path_key(char *dst, size_t n, const char *path, const char *key)
{
    if (path[0])
        snprintf(dst, n, "%s.%s", path, key);
    else
        snprintf(dst, n, "%s", key);
}

/* Index of s in a NULL-terminated name list, or -1. */
static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0)
            return i;
    }
    return -1;
}

/* Records every key of obj not in `allowed`, naming the valid ones. */
static int keys_check(const json_t *obj, const char *path, const char *const *allowed, faults_t *fl)
{
    const char *key;
    json_t *val;
    int rc = ST_OK;
    /* json_object_foreach wants a non-const object; iterating does not modify it. */
    json_t *o = (json_t *)(uintptr_t)obj;
    json_object_foreach(o, key, val)
    {
        (void)val;
        if (name_index(allowed, key) < 0) {
            char q[QUOTE_MAX + 4], p[PATH_MAX_LEN];
            text_quote(q, sizeof q, key);
            path_key(p, sizeof p, path, q);
            rc = faults_add_valid(fl, p, allowed, "unknown key");
        }
    }
    return rc;
}

/* Reads string `key` (*s borrowed; NULL when absent and optional, or wrong). */
static int get_string(const json_t *obj, const char *path, const char *key, bool required,
                      const char **s, faults_t *fl)
{
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, key);
    const json_t *v = json_object_get(obj, key);
    *s = NULL;
    if (!v)
        return required ? faults_add(fl, p, "required") : ST_OK;
    if (!json_is_string(v))
        return faults_add(fl, p, "must be a string");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return faults_add(fl, p, "contains a NUL character");
    *s = json_string_value(v);
    return ST_OK;
}

/* Reads an optional choice among `names` into *idx (left alone when absent). */
static int get_choice(const json_t *obj, const char *path, const char *key,
                      const char *const *names, int *idx, faults_t *fl)
{
    const char *s;
    int rc = get_string(obj, path, key, false, &s, fl);
    if (rc != ST_OK || !s)
        return rc;
    int i = name_index(names, s);
    if (i < 0) {
        char p[PATH_MAX_LEN], q[QUOTE_MAX + 4];
        path_key(p, sizeof p, path, key);
        text_quote(q, sizeof q, s);
        return faults_add_valid(fl, p, names, "unknown value '%s'", q);
    }
    *idx = i;
    return ST_OK;
}

/* Reads integer `key` within lo..hi; *val is left alone when absent or wrong. */
static int get_int(const json_t *obj, const char *path, const char *key, bool required,
                   json_int_t lo, json_int_t hi, int *val, faults_t *fl)
{
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return required ? faults_add(fl, p, "required") : ST_OK;
    if (!json_is_integer(v))
        return faults_add(fl, p, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return faults_add(fl, p, "must be %lld..%lld", (long long)lo, (long long)hi);
    *val = (int)x;
    return ST_OK;
}

/*
 * Reads number `key` with lo <= x <= hi (lo excluded when lo_open); *val is
 * left alone when absent or wrong.  jansson never yields NaN or inf.
 */
static int get_number(const json_t *obj, const char *path, const char *key, bool required,
                      double lo, bool lo_open, double hi, double *val, faults_t *fl)
{
    char p[PATH_MAX_LEN];
    path_key(p, sizeof p, path, key);
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return required ? faults_add(fl, p, "required") : ST_OK;
    if (!json_is_number(v))
        return faults_add(fl, p, "must be a number");
    double x = json_number_value(v);
    if (lo_open ? !(x > lo) : !(x >= lo))
        return faults_add(fl, p, "must be %s %g", lo_open ? ">" : ">=", lo);
    if (!(x <= hi))
        return faults_add(fl, p, "must be <= %g", hi);
    *val = x;
    return ST_OK;
}

/*
 * x in hundredths, exactly, or -1 when x has more than two decimals.  For
 * 0 <= x < 2^43 the check is exact: c / 100.0 is the double nearest to the
 * decimal c/100, i.e. what the JSON reader made of a two-decimal literal,
 * and any other decimal lies at least 0.001 away, more than a double step.
 */
static int64_t hundredths_exact(double x)
{
    int64_t c = llround(x * 100.0);
    return ((double)c / 100.0 == x) ? c : -1;
}

/* Parses "YYYY-MM-DD" strictly into a real date. */
static bool date_parse(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int v[3] = {0, 0, 0};
    const int at[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < len[k]; i++) {
            char ch = s[at[k] + i];
            if (ch < '0' || ch > '9')
                return false;
            v[k] = v[k] * 10 + (ch - '0');
        }
    }
    if (!tz_date_valid(v[0], v[1], v[2]))
        return false;
    *y = v[0];
    *m = v[1];
    *d = v[2];
    return true;
}

/* Parses "HH:MM" into minutes after midnight: 00:00..23:59, or 24:00 when allow_24. */
static bool hhmm_parse(const char *s, bool allow_24, int *minutes)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59)
        return false;
    if (h == 24 && m == 0 && allow_24) {
        *minutes = MINUTES_PER_DAY;
        return true;
    }
    if (h > 23)
        return false;
    *minutes = h * 60 + m;
    return true;
}

/* Parses the business_hours object into c->bh_*; every day is checked. */
static int business_hours_parse(contract_t *c, const json_t *bh, faults_t *fl)
{
    const char *path = "business_hours";
    if (!json_is_object(bh))
        return faults_add(fl, path, "must be an object");
    int rc = keys_check(bh, path, day_names, fl);
    c->has_business_hours = true;
    for (int i = 0; i < 7; i++) {
        int wday = (i + 1) % 7;
        char p[PATH_MAX_LEN];
        path_key(p, sizeof p, path, day_names[i]);
        const json_t *v = json_object_get(bh, day_names[i]);
        if (!v)
            continue;
        if (!json_is_array(v) || json_array_size(v) != 2) {
            rc = faults_add(fl, p, "must be [\"HH:MM\", \"HH:MM\"]");
            continue;
        }
        int mins[2] = {0, 0};
        bool ok = true;
        for (size_t k = 0; k < 2 && ok; k++) {
            const json_t *t = json_array_get(v, k);
            char q[QUOTE_MAX + 4];
            if (!json_is_string(t)) {
                rc = faults_add(fl, p, "must be [\"HH:MM\", \"HH:MM\"]");
                ok = false;
                break;
            }
            text_quote(q, sizeof q, json_string_value(t));
            if (strlen(json_string_value(t)) != json_string_length(t) ||
                !hhmm_parse(json_string_value(t), k == 1, &mins[k])) {
                rc = faults_add(fl, p, "bad %s time '%s' (HH:MM, 00:00-%s)", k ? "end" : "start", q,
                                k ? "24:00" : "23:59");
                ok = false;
            }
        }
        if (!ok)
            continue;
        if (mins[0] >= mins[1]) {
            rc = faults_add(fl, p, "start must be before end");
            continue;
        }
        c->bh_start[wday] = mins[0];
        c->bh_end[wday] = mins[1];
    }
    return rc;
}

/* Parses inspector_weights into c->weights (missing keys keep 1). */
static int weights_parse(contract_t *c, const json_t *w, faults_t *fl)
{
    const char *path = "inspector_weights";
    if (!json_is_object(w))
        return faults_add(fl, path, "must be an object");
    int rc = keys_check(w, path, weight_names, fl);
    double sum = 0;
    for (int i = 0; i < CONTRACT_W_COUNT; i++) {
        if (get_number(w, path, weight_names[i], false, 0, false, WEIGHT_MAX, &c->weights[i], fl) !=
            ST_OK)
            rc = ST_ERR_INVALID;
        sum += c->weights[i];
    }
    if (rc == ST_OK && !(sum > 0))
        return faults_add(fl, path, "weights not positive (at least one must be > 0)");
    return rc;
}

/* The metric names, NULL-ended, for messages and details. */
static void metric_names(const char *names[CM_COUNT + 1])
{
    for (int m = 0; m < CM_COUNT; m++)
        names[m] = metric_table[m].name;
    names[CM_COUNT] = NULL;
}

/* Parses items[i] into c->items[c->n_items] (added only when it has no fault). */
static int item_parse(contract_t *c, const json_t *ij, size_t i, faults_t *fl)
{
    char path[PATH_MAX_LEN], p[PATH_MAX_LEN];
    snprintf(path, sizeof path, "items[%zu]", i);
    if (!json_is_object(ij))
        return faults_add(fl, path, "must be an object");
    int rc = keys_check(ij, path, item_keys, fl);
    contract_item_t *it = &c->items[c->n_items];
    memset(it, 0, sizeof *it);

    const char *s;
    bool metric_ok = false;
    if (get_string(ij, path, "metric", true, &s, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (contract_metric_from_name(s, &it->metric) != 0) {
        char q[QUOTE_MAX + 4];
        const char *names[CM_COUNT + 1];
        metric_names(names);
        text_quote(q, sizeof q, s);
        path_key(p, sizeof p, path, "metric");
        rc = faults_add_valid(fl, p, names, "unknown metric '%s'", q);
    } else {
        metric_ok = true;
        for (size_t k = 0; k < c->n_items; k++) {
            if (c->items[k].metric == it->metric) {
                path_key(p, sizeof p, path, "metric");
                rc = faults_add(fl, p, "metric '%s' already in items[%zu]", s, k);
                metric_ok = false;
                break;
            }
        }
    }

    if (get_string(ij, path, "comparator", true, &s, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else {
        int ci = name_index(cmp_names, s);
        if (ci < 0) {
            path_key(p, sizeof p, path, "comparator");
            rc = faults_add(fl, p, "must be \">=\" or \"<=\"");
        } else {
            it->comparator = (contract_cmp_t)ci;
        }
    }

    double lo = 0, hi = 1;
    switch (metric_ok ? contract_metric_kind(it->metric) : CM_KIND_RATE) {
    case CM_KIND_RATE:
        break;
    case CM_KIND_SECONDS:
        hi = CONTRACT_SECONDS_MAX;
        break;
    case CM_KIND_SCORE:
        hi = 100;
        break;
    case CM_KIND_CSAT_MEAN:
        lo = 1;
        hi = 5;
        break;
    }
    if (get_number(ij, path, "target", true, -INFINITY, false, INFINITY, &it->target, fl) !=
        ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (metric_ok && !(it->target >= lo && it->target <= hi)) {
        path_key(p, sizeof p, path, "target");
        rc = faults_add(fl, p, "%s takes targets %g..%g", contract_metric_name(it->metric), lo, hi);
    }

    if (get_number(ij, path, "credit_pct", true, 0, false, 100, &it->credit_pct, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else {
        int64_t centi = hundredths_exact(it->credit_pct);
        if (centi < 0) {
            path_key(p, sizeof p, path, "credit_pct");
            rc = faults_add(fl, p, "at most 2 decimals");
        }
        it->credit_pct_centi = (int32_t)centi;
    }
    if (rc == ST_OK && metric_ok)
        c->n_items++;
    return metric_ok ? rc : ST_ERR_INVALID;
}

/*
 * Reads the optional cost of service level: agent_hour_cost (money, as
 * monthly_fee: 0..CONTRACT_FEE_MAX, at most 2 decimals) and shrinkage_pct
 * (0 <= x < 100, at most 2 decimals).
 */
static int cost_parse(contract_t *c, const json_t *root, faults_t *fl)
{
    int rc = ST_OK;
    double cost = 0;
    if (get_number(root, "", "agent_hour_cost", false, 0, false, CONTRACT_FEE_MAX, &cost, fl) !=
        ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (json_object_get(root, "agent_hour_cost")) {
        if ((c->agent_hour_cost_cents = hundredths_exact(cost)) < 0)
            rc = faults_add(fl, "agent_hour_cost", "at most 2 decimals");
        else
            c->has_agent_hour_cost = true;
    }
    double shr = 0;
    if (get_number(root, "", "shrinkage_pct", false, 0, false, 100, &shr, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    else if (!(shr < 100))
        rc = faults_add(fl, "shrinkage_pct",
                        "must be < 100 (the share of paid time not on "
                        "contacts; 100 would leave none)");
    else if (hundredths_exact(shr) < 0)
        rc = faults_add(fl, "shrinkage_pct", "at most 2 decimals");
    else
        c->shrinkage_pct = shr;
    return rc;
}

/* Reads the required keys that are not thresholds: dates, zone, money, items. */
static int terms_parse(contract_t *c, const json_t *root, faults_t *fl)
{
    const char *s;
    char q[QUOTE_MAX + 4];
    int rc = ST_OK;

    if (get_string(root, "", "effective_from", true, &s, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (!date_parse(s, &c->eff_year, &c->eff_month, &c->eff_day)) {
        text_quote(q, sizeof q, s);
        rc = faults_add(fl, "effective_from", "'%s' is not a date YYYY-MM-DD", q);
    } else {
        c->eff_days = tz_days_from_civil(c->eff_year, c->eff_month, c->eff_day);
    }

    if (get_string(root, "", "timezone", true, &s, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (!tz_name_valid(s)) {
        text_quote(q, sizeof q, s);
        rc = faults_add(fl, "timezone", "'%s' is not a time zone name", q);
    } else {
        snprintf(c->timezone, sizeof c->timezone, "%s", s);
    }

    if (get_number(root, "", "monthly_fee", true, 0, false, CONTRACT_FEE_MAX, &c->monthly_fee,
                   fl) != ST_OK)
        rc = ST_ERR_INVALID;
    else if ((c->monthly_fee_cents = hundredths_exact(c->monthly_fee)) < 0)
        rc = faults_add(fl, "monthly_fee", "at most 2 decimals");

    if (get_string(root, "", "currency", true, &s, fl) != ST_OK) {
        rc = ST_ERR_INVALID;
    } else if (strlen(s) != 3 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
        text_quote(q, sizeof q, s);
        rc = faults_add(fl, "currency", "'%s' is not 3 letters A-Z (ISO 4217)", q);
    } else {
        memcpy(c->currency, s, 4);
    }

    if (get_number(root, "", "credit_cap_pct", true, 0, false, 100, &c->credit_cap_pct, fl) !=
        ST_OK) {
        rc = ST_ERR_INVALID;
    } else {
        int64_t cap = hundredths_exact(c->credit_cap_pct);
        if (cap < 0)
            rc = faults_add(fl, "credit_cap_pct", "at most 2 decimals");
        c->credit_cap_centi = (int32_t)cap;
    }

    if (cost_parse(c, root, fl) != ST_OK)
        rc = ST_ERR_INVALID;

    const json_t *items = json_object_get(root, "items");
    if (!items)
        return faults_add(fl, "items", "required");
    if (!json_is_array(items))
        return faults_add(fl, "items", "must be an array");
    if (json_array_size(items) > CM_COUNT)
        return faults_add(fl, "items", "more than %d items (one per metric)", CM_COUNT);
    for (size_t i = 0; i < json_array_size(items); i++) {
        if (item_parse(c, json_array_get(items, i), i, fl) != ST_OK)
            rc = ST_ERR_INVALID;
    }
    return rc;
}

/* Reads the optional thresholds and variants, keeping the defaults when absent. */
static int options_parse(contract_t *c, const json_t *root, faults_t *fl)
{
    int rc = ST_OK;
    if (get_int(root, "", "interval_min", false, 15, 60, &c->interval_min, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    else if (c->interval_min != 15 && c->interval_min != 30 && c->interval_min != 60)
        rc = faults_add(fl, "interval_min", "must be 15, 30 or 60");
    int i = (int)c->sl_formula;
    if (get_choice(root, "", "sl_formula", sl_formula_names, &i, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    c->sl_formula = (contract_sl_formula_t)i;
    i = (int)c->fcr_method;
    if (get_choice(root, "", "fcr_method", fcr_method_names, &i, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    c->fcr_method = (contract_fcr_method_t)i;
    i = 0;
    if (get_choice(root, "", "language", language_names, &i, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    memcpy(c->language, language_names[i], 3);

    const struct {
        const char *key;
        json_int_t lo, hi;
        int *val;
    } ints[] = {
        {"sl_threshold_s", 0, 65535, &c->sl_threshold_s},
        {"short_abandon_s", 0, 65535, &c->short_abandon_s},
        {"fcr_window_h", 1, 8760, &c->fcr_window_h},
        {"csat_good_min", 1, 5, &c->csat_good_min},
        {"earn_back_months", 0, 12, &c->earn_back_months},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        if (get_int(root, "", ints[k].key, false, ints[k].lo, ints[k].hi, ints[k].val, fl) != ST_OK)
            rc = ST_ERR_INVALID;
    const struct {
        const char *key;
        bool lo_open;
        double hi;
        double *val;
    } nums[] = {
        {"qa_pass_mark", false, 100, &c->qa_pass_mark},
        {"qa_precision_pts", true, 100, &c->qa_precision_pts},
        {"qa_lag_target_h", true, 8760, &c->qa_lag_target_h},
        {"calibration_tolerance_pts", false, 100, &c->calibration_tolerance_pts},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
        if (get_number(root, "", nums[k].key, false, 0, nums[k].lo_open, nums[k].hi, nums[k].val,
                       fl) != ST_OK)
            rc = ST_ERR_INVALID;

    const json_t *bh = json_object_get(root, "business_hours");
    if (bh && business_hours_parse(c, bh, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    const json_t *w = json_object_get(root, "inspector_weights");
    if (w && weights_parse(c, w, fl) != ST_OK)
        rc = ST_ERR_INVALID;
    return rc;
}

/* A contract with every METRICS.md default, before the document is read. */
static contract_t *contract_new_defaults(void)
{
    contract_t *c = xcalloc(1, sizeof *c);
    c->interval_min = DEF_INTERVAL_MIN;
    c->sl_threshold_s = DEF_SL_THRESHOLD_S;
    c->sl_formula = CONTRACT_SL_OFFERED;
    c->short_abandon_s = DEF_SHORT_ABANDON_S;
    c->fcr_method = CONTRACT_FCR_REPEAT;
    c->fcr_window_h = DEF_FCR_WINDOW_H;
    c->csat_good_min = DEF_CSAT_GOOD_MIN;
    c->qa_pass_mark = DEF_QA_PASS_MARK;
    c->qa_precision_pts = DEF_QA_PRECISION_PTS;
    c->qa_lag_target_h = DEF_QA_LAG_TARGET_H;
    c->calibration_tolerance_pts = DEF_CALIBRATION_TOL;
    c->earn_back_months = DEF_EARN_BACK_MONTHS;
    for (int i = 0; i < 7; i++)
        c->bh_start[i] = c->bh_end[i] = -1;
    for (int i = 0; i < CONTRACT_W_COUNT; i++)
        c->weights[i] = 1.0;
    memcpy(c->language, "en", 3);
    return c;
}

/* Validates root into *out, recording every fault; new_version refuses what only old versions may
 * hold. */
static int contract_build(const json_t *root, bool new_version, contract_t **out, faults_t *fl)
{
    *out = NULL;
    if (!json_is_object(root))
        return faults_add(fl, "contract", "must be a JSON object");
    contract_t *c = contract_new_defaults();
    keys_check(root, "", top_keys, fl);
    terms_parse(c, root, fl);
    options_parse(c, root, fl);
    const json_t *items = json_object_get(root, "items");
    if (new_version && json_is_array(items) && json_array_size(items) == 0) {
        const char *names[CM_COUNT + 1];
        metric_names(names);
        faults_add_valid(fl, "items", names,
                         "a contract needs at least one item: the metrics it commits to, each "
                         "{\"metric\", \"comparator\", \"target\", \"credit_pct\"}");
    }
    if (fl->count > 0) {
        contract_free(c);
        return ST_ERR_INVALID;
    }
    *out = c;
    return ST_OK;
}

int contract_from_json(const json_t *root, contract_t **out, char *err, size_t errlen)
{
    faults_t fl;
    faults_init(&fl, err, errlen, NULL);
    return contract_build(root, false, out, &fl);
}

int contract_parse(const char *text, size_t len, contract_t **out, char *err, size_t errlen)
{
    *out = NULL;
    json_t *root = NULL;
    int rc = jsonutil_load(text, len, CONTRACT_MAX_BYTES, "contract", &root, err, errlen);
    if (rc != ST_OK)
        return rc;
    rc = contract_from_json(root, out, err, errlen);
    json_decref(root);
    return rc;
}

int contract_check_new(const char *text, size_t len, contract_t **out, faults_t *fl)
{
    *out = NULL;
    json_t *root = NULL;
    char err[512];
    int rc = jsonutil_load(text, len, CONTRACT_MAX_BYTES, "contract", &root, err, sizeof err);
    if (rc != ST_OK) {
        faults_add(fl, "", "%s", err);
        return rc;
    }
    rc = contract_build(root, true, out, fl);
    json_decref(root);
    return rc;
}

void contract_free(contract_t *c)
{
    free(c);
}

/* Minutes after midnight as "HH:MM" ("24:00" for 1440). */
static json_t *hhmm_json(int minutes)
{
    char s[8];
    snprintf(s, sizeof s, "%02d:%02d", minutes / 60, minutes % 60);
    return json_string(s);
}

/* Hundredths as a JSON number: an integer when whole, else a real. */
static json_t *hundredths_json(int64_t h)
{
    if (h % 100 == 0)
        return json_integer((json_int_t)(h / 100));
    return json_real((double)h / 100.0);
}

json_t *contract_to_json(const contract_t *c)
{
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", c->eff_year, c->eff_month, c->eff_day);
    json_t *o = json_object();
    json_object_set_new(o, "effective_from", json_string(date));
    json_object_set_new(o, "timezone", json_string(c->timezone));
    json_object_set_new(o, "interval_min", json_integer(c->interval_min));
    json_object_set_new(o, "sl_threshold_s", json_integer(c->sl_threshold_s));
    json_object_set_new(o, "sl_formula", json_string(contract_sl_formula_name(c->sl_formula)));
    json_object_set_new(o, "short_abandon_s", json_integer(c->short_abandon_s));
    json_object_set_new(o, "fcr_method", json_string(contract_fcr_method_name(c->fcr_method)));
    json_object_set_new(o, "fcr_window_h", json_integer(c->fcr_window_h));
    json_object_set_new(o, "csat_good_min", json_integer(c->csat_good_min));
    json_object_set_new(o, "qa_pass_mark", json_real(c->qa_pass_mark));
    json_object_set_new(o, "qa_precision_pts", json_real(c->qa_precision_pts));
    json_object_set_new(o, "qa_lag_target_h", json_real(c->qa_lag_target_h));
    json_object_set_new(o, "calibration_tolerance_pts", json_real(c->calibration_tolerance_pts));
    if (c->has_business_hours) {
        json_t *bh = json_object();
        for (int i = 0; i < 7; i++) {
            int wday = (i + 1) % 7;
            if (c->bh_start[wday] < 0)
                continue;
            json_t *r = json_array();
            json_array_append_new(r, hhmm_json(c->bh_start[wday]));
            json_array_append_new(r, hhmm_json(c->bh_end[wday]));
            json_object_set_new(bh, day_names[i], r);
        }
        json_object_set_new(o, "business_hours", bh);
    }
    json_object_set_new(o, "monthly_fee", hundredths_json(c->monthly_fee_cents));
    json_object_set_new(o, "currency", json_string(c->currency));
    json_object_set_new(o, "credit_cap_pct", hundredths_json(c->credit_cap_centi));
    json_object_set_new(o, "earn_back_months", json_integer(c->earn_back_months));
    if (c->has_agent_hour_cost)
        json_object_set_new(o, "agent_hour_cost", hundredths_json(c->agent_hour_cost_cents));
    json_object_set_new(o, "shrinkage_pct", json_real(c->shrinkage_pct));
    json_t *w = json_object();
    for (int i = 0; i < CONTRACT_W_COUNT; i++)
        json_object_set_new(w, weight_names[i], json_real(c->weights[i]));
    json_object_set_new(o, "inspector_weights", w);
    json_t *items = json_array();
    for (size_t i = 0; i < c->n_items; i++) {
        const contract_item_t *it = &c->items[i];
        json_t *j = json_object();
        json_object_set_new(j, "metric", json_string(contract_metric_name(it->metric)));
        json_object_set_new(j, "comparator", json_string(contract_cmp_name(it->comparator)));
        json_object_set_new(j, "target", json_real(it->target));
        json_object_set_new(j, "credit_pct", hundredths_json(it->credit_pct_centi));
        json_array_append_new(items, j);
    }
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "language", json_string(c->language));
    return o;
}

const contract_t *contract_version_for_month(const contract_t *const *versions, size_t n, int year,
                                             int month)
{
    if (month < 1 || month > 12)
        return NULL;
    int64_t first = tz_days_from_civil(year, month, 1);
    const contract_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const contract_t *v = versions[i];
        /* ">=" on ties: the later PUT of the same date replaces the earlier. */
        if (v && v->eff_days <= first && (!best || v->eff_days >= best->eff_days))
            best = v;
    }
    return best;
}

void contract_effective_from(const contract_t *c, int *year, int *month, int *day)
{
    if (year)
        *year = c->eff_year;
    if (month)
        *month = c->eff_month;
    if (day)
        *day = c->eff_day;
}

int64_t contract_effective_days(const contract_t *c)
{
    return c->eff_days;
}

const char *contract_timezone(const contract_t *c)
{
    return c->timezone;
}

int contract_interval_min(const contract_t *c)
{
    return c->interval_min;
}

int contract_sl_threshold_s(const contract_t *c)
{
    return c->sl_threshold_s;
}

contract_sl_formula_t contract_sl_formula(const contract_t *c)
{
    return c->sl_formula;
}

int contract_short_abandon_s(const contract_t *c)
{
    return c->short_abandon_s;
}

contract_fcr_method_t contract_fcr_method(const contract_t *c)
{
    return c->fcr_method;
}

int contract_fcr_window_h(const contract_t *c)
{
    return c->fcr_window_h;
}

int contract_csat_good_min(const contract_t *c)
{
    return c->csat_good_min;
}

double contract_qa_pass_mark(const contract_t *c)
{
    return c->qa_pass_mark;
}

double contract_qa_precision_pts(const contract_t *c)
{
    return c->qa_precision_pts;
}

double contract_qa_lag_target_h(const contract_t *c)
{
    return c->qa_lag_target_h;
}

double contract_calibration_tolerance_pts(const contract_t *c)
{
    return c->calibration_tolerance_pts;
}

int64_t contract_monthly_fee_cents(const contract_t *c)
{
    return c->monthly_fee_cents;
}

const char *contract_currency(const contract_t *c)
{
    return c->currency;
}

int32_t contract_credit_cap_centi(const contract_t *c)
{
    return c->credit_cap_centi;
}

int contract_earn_back_months(const contract_t *c)
{
    return c->earn_back_months;
}

bool contract_agent_hour_cost(const contract_t *c, int64_t *cents)
{
    if (cents)
        *cents = c->has_agent_hour_cost ? c->agent_hour_cost_cents : 0;
    return c->has_agent_hour_cost;
}

double contract_shrinkage_pct(const contract_t *c)
{
    return c->shrinkage_pct;
}

double contract_inspector_weight(const contract_t *c, contract_weight_t w)
{
    return ((int)w >= 0 && w < CONTRACT_W_COUNT) ? c->weights[w] : 0.0;
}

const char *contract_language(const contract_t *c)
{
    return c->language;
}

bool contract_has_business_hours(const contract_t *c)
{
    return c->has_business_hours;
}

bool contract_business_hours(const contract_t *c, int wday, int *start_min, int *end_min)
{
    *start_min = *end_min = 0;
    if (wday < 0 || wday > 6)
        return false;
    if (!c->has_business_hours) {
        *end_min = MINUTES_PER_DAY;
        return true;
    }
    if (c->bh_start[wday] < 0)
        return false;
    *start_min = c->bh_start[wday];
    *end_min = c->bh_end[wday];
    return true;
}

size_t contract_item_count(const contract_t *c)
{
    return c->n_items;
}

const contract_item_t *contract_item(const contract_t *c, size_t i)
{
    return i < c->n_items ? &c->items[i] : NULL;
}

const contract_item_t *contract_item_find(const contract_t *c, contract_metric_t m)
{
    for (size_t i = 0; i < c->n_items; i++) {
        if (c->items[i].metric == m)
            return &c->items[i];
    }
    return NULL;
}

const char *contract_metric_name(contract_metric_t m)
{
    return ((int)m >= 0 && m < CM_COUNT) ? metric_table[m].name : NULL;
}

contract_metric_kind_t contract_metric_kind(contract_metric_t m)
{
    return ((int)m >= 0 && m < CM_COUNT) ? metric_table[m].kind : CM_KIND_RATE;
}

int contract_metric_from_name(const char *name, contract_metric_t *m)
{
    for (int i = 0; i < CM_COUNT; i++) {
        if (strcmp(metric_table[i].name, name) == 0) {
            *m = (contract_metric_t)i;
            return 0;
        }
    }
    return -1;
}

const char *contract_sl_formula_name(contract_sl_formula_t f)
{
    return ((int)f >= 0 && f <= CONTRACT_SL_ABANDON_POSITIVE) ? sl_formula_names[f] : NULL;
}

const char *contract_fcr_method_name(contract_fcr_method_t f)
{
    return ((int)f >= 0 && f <= CONTRACT_FCR_DISPOSITION) ? fcr_method_names[f] : NULL;
}

const char *contract_cmp_name(contract_cmp_t c)
{
    return ((int)c >= 0 && c <= CONTRACT_CMP_LE) ? cmp_names[c] : NULL;
}
