/* Unit tests for reports/contract.c: parsing, defaults, refusals by path, versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "faults.h"
#include "status.h"
#include "xmem.h"

/* JSON written with ' for " so the fixtures stay readable. */
static int parse_q(const char *q, contract_t **out, char *err, size_t errlen)
{
    char *s = xstrdup(q);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    int rc = contract_parse(s, strlen(s), out, err, errlen);
    free(s);
    return rc;
}

/* The example of INTERFACES.md "Contract JSON", verbatim. */
static const char *const EXAMPLE =
    "{'effective_from': '2026-10-01', 'timezone': 'Asia/Shanghai',"
    " 'interval_min': 30, 'sl_threshold_s': 20, 'sl_formula': 'offered',"
    " 'short_abandon_s': 5, 'fcr_method': 'repeat', 'fcr_window_h': 72,"
    " 'csat_good_min': 4, 'qa_pass_mark': 85, 'qa_precision_pts': 5,"
    " 'qa_lag_target_h': 72, 'calibration_tolerance_pts': 5,"
    " 'business_hours': {'mon': ['08:00', '20:00']},"
    " 'monthly_fee': 120000.00, 'currency': 'CNY', 'credit_cap_pct': 12,"
    " 'inspector_weights': {'quota': 1, 'timeliness': 1, 'calibration': 1, 'accuracy': 1},"
    " 'items': ["
    "   {'metric': 'service_level', 'comparator': '>=', 'target': 0.80, 'credit_pct': 3},"
    "   {'metric': 'abandon_rate', 'comparator': '<=', 'target': 0.05, 'credit_pct': 2},"
    "   {'metric': 'qa_score', 'comparator': '>=', 'target': 90, 'credit_pct': 2}"
    " ]}";

/* The required keys only; tests append to it. */
#define MIN_KEYS                                                                                   \
    "'effective_from':'2026-10-01','timezone':'Asia/Shanghai','monthly_fee':1000,"                 \
    "'currency':'CNY','credit_cap_pct':10"

static void test_example_fields(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    assert_int_equal(parse_q(EXAMPLE, &c, err, sizeof err), ST_OK);
    int y, m, d;
    contract_effective_from(c, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 10);
    assert_int_equal(d, 1);
    /* 2026-10-01: 56 years of days since 1970 = 56*365 + 14 leap days (1972..2024)
     * = 20454, plus Jan..Sep 2026 = 31+28+31+30+31+30+31+31+30 = 273 -> 20727. */
    assert_int_equal(contract_effective_days(c), 20727);
    assert_string_equal(contract_timezone(c), "Asia/Shanghai");
    assert_int_equal(contract_interval_min(c), 30);
    assert_int_equal(contract_sl_threshold_s(c), 20);
    assert_int_equal(contract_sl_formula(c), CONTRACT_SL_OFFERED);
    assert_int_equal(contract_short_abandon_s(c), 5);
    assert_int_equal(contract_fcr_method(c), CONTRACT_FCR_REPEAT);
    assert_int_equal(contract_fcr_window_h(c), 72);
    assert_int_equal(contract_csat_good_min(c), 4);
    assert_true(contract_qa_pass_mark(c) == 85.0);
    assert_true(contract_qa_precision_pts(c) == 5.0);
    assert_true(contract_qa_lag_target_h(c) == 72.0);
    assert_true(contract_calibration_tolerance_pts(c) == 5.0);
    /* 120000.00 CNY = 12 000 000 cents; 12 % = 1200 hundredths of a percent. */
    assert_int_equal(contract_monthly_fee_cents(c), 12000000);
    assert_string_equal(contract_currency(c), "CNY");
    assert_int_equal(contract_credit_cap_centi(c), 1200);
    assert_int_equal(contract_earn_back_months(c), 0);
    for (int w = 0; w < CONTRACT_W_COUNT; w++)
        assert_true(contract_inspector_weight(c, (contract_weight_t)w) == 1.0);
    assert_string_equal(contract_language(c), "en");

    /* Monday (wday 1) 08:00-20:00 = minutes 480..1200; every other day closed. */
    assert_true(contract_has_business_hours(c));
    int s, e;
    assert_true(contract_business_hours(c, 1, &s, &e));
    assert_int_equal(s, 480);
    assert_int_equal(e, 1200);
    assert_false(contract_business_hours(c, 0, &s, &e));
    assert_false(contract_business_hours(c, 2, &s, &e));
    assert_false(contract_business_hours(c, 7, &s, &e));

    assert_int_equal(contract_item_count(c), 3);
    const contract_item_t *it = contract_item(c, 0);
    assert_int_equal(it->metric, CM_SERVICE_LEVEL);
    assert_int_equal(it->comparator, CONTRACT_CMP_GE);
    assert_true(it->target == 0.80);
    assert_int_equal(it->credit_pct_centi, 300);
    it = contract_item(c, 1);
    assert_int_equal(it->metric, CM_ABANDON_RATE);
    assert_int_equal(it->comparator, CONTRACT_CMP_LE);
    assert_true(it->target == 0.05);
    assert_int_equal(it->credit_pct_centi, 200);
    it = contract_item(c, 2);
    assert_int_equal(it->metric, CM_QA_SCORE);
    assert_true(it->target == 90.0);
    assert_int_equal(it->credit_pct_centi, 200);
    assert_null(contract_item(c, 3));
    assert_ptr_equal(contract_item_find(c, CM_ABANDON_RATE), contract_item(c, 1));
    assert_null(contract_item_find(c, CM_FCR));
    contract_free(c);
    contract_free(NULL);
}

static void test_defaults(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    assert_int_equal(parse_q("{" MIN_KEYS ",'items':[]}", &c, err, sizeof err), ST_OK);
    /* METRICS.md defaults, and the INTERFACES.md example values where it has none. */
    assert_int_equal(contract_interval_min(c), 30);
    assert_int_equal(contract_sl_threshold_s(c), 20);
    assert_int_equal(contract_sl_formula(c), CONTRACT_SL_OFFERED);
    assert_int_equal(contract_short_abandon_s(c), 5);
    assert_int_equal(contract_fcr_method(c), CONTRACT_FCR_REPEAT);
    assert_int_equal(contract_fcr_window_h(c), 72);
    assert_int_equal(contract_csat_good_min(c), 4);
    assert_true(contract_qa_pass_mark(c) == 85.0);
    assert_true(contract_qa_precision_pts(c) == 5.0);
    assert_true(contract_qa_lag_target_h(c) == 72.0);
    assert_true(contract_calibration_tolerance_pts(c) == 5.0);
    assert_int_equal(contract_earn_back_months(c), 0);
    assert_string_equal(contract_language(c), "en");
    assert_true(contract_inspector_weight(c, CONTRACT_W_ACCURACY) == 1.0);
    assert_int_equal(contract_item_count(c), 0);
    /* No business_hours: every day is open all day. */
    assert_false(contract_has_business_hours(c));
    int s, e;
    for (int wd = 0; wd < 7; wd++) {
        assert_true(contract_business_hours(c, wd, &s, &e));
        assert_int_equal(s, 0);
        assert_int_equal(e, 1440);
    }
    contract_free(c);
}

static void test_variants_and_edges_accepted(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    const char *doc =
        "{'effective_from':'2028-02-29','timezone':'America/New_York','monthly_fee':100.01,"
        "'currency':'USD','credit_cap_pct':7.5,'earn_back_months':2,'interval_min':15,"
        "'sl_formula':'abandon_positive','fcr_method':'disposition','short_abandon_s':0,"
        "'language':'zh','inspector_weights':{'quota':0,'accuracy':2.5},"
        "'business_hours':{'sun':['00:00','24:00'],'sat':['09:30','12:00']},"
        "'items':[{'metric':'csat_mean','comparator':'>=','target':4.2,'credit_pct':2.25},"
        "{'metric':'asa_s','comparator':'<=','target':30,'credit_pct':0},"
        "{'metric':'interval_compliance','comparator':'>=','target':1,'credit_pct':100}]}";
    assert_int_equal(parse_q(doc, &c, err, sizeof err), ST_OK);
    /* 100.01 -> 10001 cents; 7.5 % -> 750; 2.25 % -> 225. */
    assert_int_equal(contract_monthly_fee_cents(c), 10001);
    assert_int_equal(contract_credit_cap_centi(c), 750);
    assert_int_equal(contract_item(c, 0)->credit_pct_centi, 225);
    assert_int_equal(contract_item(c, 1)->credit_pct_centi, 0);
    assert_int_equal(contract_item(c, 2)->credit_pct_centi, 10000);
    assert_int_equal(contract_earn_back_months(c), 2);
    assert_int_equal(contract_interval_min(c), 15);
    assert_int_equal(contract_sl_formula(c), CONTRACT_SL_ABANDON_POSITIVE);
    assert_int_equal(contract_fcr_method(c), CONTRACT_FCR_DISPOSITION);
    assert_int_equal(contract_short_abandon_s(c), 0);
    assert_string_equal(contract_language(c), "zh");
    /* Missing weight keys stay 1; a 0 among them is fine while one is > 0. */
    assert_true(contract_inspector_weight(c, CONTRACT_W_QUOTA) == 0.0);
    assert_true(contract_inspector_weight(c, CONTRACT_W_TIMELINESS) == 1.0);
    assert_true(contract_inspector_weight(c, CONTRACT_W_ACCURACY) == 2.5);
    int s, e;
    /* Sunday 00:00-24:00 = 0..1440; Saturday 09:30-12:00 = 570..720. */
    assert_true(contract_business_hours(c, 0, &s, &e));
    assert_int_equal(s, 0);
    assert_int_equal(e, 1440);
    assert_true(contract_business_hours(c, 6, &s, &e));
    assert_int_equal(s, 570);
    assert_int_equal(e, 720);
    assert_false(contract_business_hours(c, 1, &s, &e));
    contract_free(c);

    /* Zero written as zero, in any spelling without a sign, is a fee of 0. */
    assert_int_equal(
        parse_q("{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':0.00e-5,"
                "'currency':'EUR','credit_cap_pct':0,'items':[]}",
                &c, err, sizeof err),
        ST_OK);
    assert_int_equal(contract_monthly_fee_cents(c), 0);
    contract_free(c);

    /* 0.10 -> 10 cents (0.1 is not exact in binary, the check still holds). */
    assert_int_equal(parse_q("{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':0.1,"
                             "'currency':'EUR','credit_cap_pct':0,'items':[]}",
                             &c, err, sizeof err),
                     ST_OK);
    assert_int_equal(contract_monthly_fee_cents(c), 10);
    contract_free(c);
}

typedef struct bad_case {
    const char *doc;
    const char *err;
} bad_case_t;

#define K10      "kkkkkkkkkk"
#define ITEM_SL  "{'metric':'service_level','comparator':'>=','target':0.8,'credit_pct':3}"
#define ITEM_AR  "{'metric':'abandon_rate','comparator':'<=','target':0.05,'credit_pct':2}"
#define WITH(kv) "{" MIN_KEYS "," kv ",'items':[]}"
#define ITEMS(i) "{" MIN_KEYS ",'items':[" i "]}"

static const bad_case_t bad_cases[] = {
    /* unknown metric, named by path */
    {ITEMS(ITEM_SL "," ITEM_AR
                   ",{'metric':'servce_level','comparator':'>=','target':0.8,'credit_pct':1}"),
     "items[2].metric: unknown metric 'servce_level'"},
    /* the same metric twice */
    {ITEMS(ITEM_AR "," ITEM_AR), "items[1].metric: metric 'abandon_rate' already in items[0]"},
    /* unknown keys at every level */
    {WITH("'colour':'red'"), "colour: unknown key"},
    {ITEMS("{'metric':'fcr','comparator':'>=','target':0.7,'credit_pct':1,'weight':2}"),
     "items[0].weight: unknown key"},
    {WITH("'inspector_weights':{'quota':1,'speed':1}"), "inspector_weights.speed: unknown key"},
    {WITH("'business_hours':{'monday':['08:00','20:00']}"), "business_hours.monday: unknown key"},
    /* wrong types */
    {WITH("'interval_min':'30'"), "interval_min: must be an integer"},
    {WITH("'sl_threshold_s':20.5"), "sl_threshold_s: must be an integer"},
    {WITH("'qa_pass_mark':'85'"), "qa_pass_mark: must be a number"},
    {ITEMS("{'metric':7,'comparator':'>=','target':0.7,'credit_pct':1}"),
     "items[0].metric: must be a string"},
    {"{" MIN_KEYS ",'items':{}}", "items: must be an array"},
    {ITEMS("[]"), "items[0]: must be an object"},
    {"[1,2]", "contract: must be a JSON object"},
    /* missing required keys */
    {"{'timezone':'UTC','monthly_fee':1,'currency':'CNY','credit_cap_pct':1,'items':[]}",
     "effective_from: required"},
    {"{" MIN_KEYS "}", "items: required"},
    {ITEMS("{'metric':'fcr','comparator':'>=','credit_pct':1}"), "items[0].target: required"},
    /* targets out of range */
    {ITEMS("{'metric':'service_level','comparator':'>=','target':80,'credit_pct':3}"),
     "items[0].target: service_level takes targets 0..1"},
    {ITEMS("{'metric':'qa_score','comparator':'>=','target':101,'credit_pct':3}"),
     "items[0].target: qa_score takes targets 0..100"},
    {ITEMS("{'metric':'csat_mean','comparator':'>=','target':0.9,'credit_pct':3}"),
     "items[0].target: csat_mean takes targets 1..5"},
    {ITEMS("{'metric':'asa_s','comparator':'<=','target':-1,'credit_pct':3}"),
     "items[0].target: asa_s takes targets 0..1e+09"},
    {ITEMS("{'metric':'fcr','comparator':'>','target':0.7,'credit_pct':1}"),
     "items[0].comparator: must be \">=\" or \"<=\""},
    {ITEMS("{'metric':'fcr','comparator':'>=','target':0.7,'credit_pct':-1}"),
     "items[0].credit_pct: must be >= 0"},
    {ITEMS("{'metric':'fcr','comparator':'>=','target':0.7,'credit_pct':2.555}"),
     "items[0].credit_pct: at most 2 decimals"},
    /* time zone syntax */
    {"{'effective_from':'2026-10-01','timezone':'Asia Shanghai','monthly_fee':1,"
     "'currency':'CNY','credit_cap_pct':1,'items':[]}",
     "timezone: 'Asia Shanghai' is not a time zone name"},
    {"{'effective_from':'2026-10-01','timezone':'../etc/passwd','monthly_fee':1,"
     "'currency':'CNY','credit_cap_pct':1,'items':[]}",
     "timezone: '../etc/passwd' is not a time zone name"},
    /* weights */
    {WITH("'inspector_weights':{'quota':0,'timeliness':0,'calibration':0,'accuracy':0}"),
     "inspector_weights: weights not positive (at least one must be > 0)"},
    {WITH("'inspector_weights':{'quota':-1}"), "inspector_weights.quota: must be >= 0"},
    /* business hours */
    {WITH("'business_hours':{'mon':['20:00','08:00']}"),
     "business_hours.mon: start must be before end"},
    {WITH("'business_hours':{'tue':['09:00','09:00']}"),
     "business_hours.tue: start must be before end"},
    {WITH("'business_hours':{'wed':['24:00','24:00']}"),
     "business_hours.wed: bad start time '24:00' (HH:MM, 00:00-23:59)"},
    {WITH("'business_hours':{'thu':['8:00','20:00']}"),
     "business_hours.thu: bad start time '8:00' (HH:MM, 00:00-23:59)"},
    {WITH("'business_hours':{'fri':['08:00','24:01']}"),
     "business_hours.fri: bad end time '24:01' (HH:MM, 00:00-24:00)"},
    {WITH("'business_hours':{'sat':['08:00']}"),
     "business_hours.sat: must be [\"HH:MM\", \"HH:MM\"]"},
    {WITH("'business_hours':['08:00','20:00']"), "business_hours: must be an object"},
    /* other ranges and choices */
    {"{'effective_from':'2026-02-30','timezone':'UTC','monthly_fee':1,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "effective_from: '2026-02-30' is not a date YYYY-MM-DD"},
    {"{'effective_from':'2026-10-1','timezone':'UTC','monthly_fee':1,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "effective_from: '2026-10-1' is not a date YYYY-MM-DD"},
    {WITH("'interval_min':45"), "interval_min: must be 15, 30 or 60"},
    {WITH("'csat_good_min':6"), "csat_good_min: must be 1..5"},
    {WITH("'earn_back_months':13"), "earn_back_months: must be 0..12"},
    {WITH("'qa_precision_pts':0"), "qa_precision_pts: must be > 0"},
    {WITH("'sl_formula':'offerd'"),
     "sl_formula: unknown value 'offerd' (one of: offered, answered, abandon_neutral, "
     "abandon_positive)"},
    {WITH("'language':'fr'"), "language: unknown value 'fr' (one of: en, zh)"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':-5,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "monthly_fee: must be >= 0"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':100.001,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "monthly_fee: at most 2 decimals"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':1,'currency':'cny',"
     "'credit_cap_pct':1,'items':[]}",
     "currency: 'cny' is not 3 letters A-Z (ISO 4217)"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':1,'currency':'CNY',"
     "'credit_cap_pct':120,'items':[]}",
     "credit_cap_pct: must be <= 100"},
    /* numbers jansson would read as 0: refused where they stand (issue 18) */
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':1e-400,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "monthly_fee: 1e-400 underflows (too small to hold; it would not read back as written)"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':-0,'currency':'CNY',"
     "'credit_cap_pct':1,'items':[]}",
     "monthly_fee: -0 is a negative zero (write 0)"},
    {WITH("'qa_pass_mark':-0.000e7"), "qa_pass_mark: -0.000e7 is a negative zero (write 0)"},
    {WITH("'inspector_weights':{'quota':1,'timeliness':2.5e-320}"),
     "inspector_weights.timeliness: 2.5e-320 underflows (too small to hold; it would not read "
     "back as written)"},
    {ITEMS(ITEM_SL ",{'metric':'fcr','comparator':'>=','target':-0.0,'credit_pct':1}"),
     "items[1].target: -0.0 is a negative zero (write 0)"},
    {WITH("'business_hours':{'mon':['08:00','20:00'],'tue':[-0,1]}"),
     "business_hours.tue[0]: -0 is a negative zero (write 0)"},
    {"{'effective_from':'2026-10-01','timezone':'UTC','monthly_fee':"
     "0.0000000000000000000000000000000000000000000000000000000000000000000001e-400,"
     "'currency':'CNY','credit_cap_pct':1,'items':[]}",
     "monthly_fee: 0.0000000000000000000000... underflows (too small to hold; it would not read "
     "back as written)"},
    /* a long key is shortened so the reason still fits (found by fuzz/fuzz_contract.c) */
    {"{'" K10 K10 K10 K10 K10 K10 "':-0}",
     K10 K10 K10 K10 "kkkkkkkk...: -0 is a negative zero (write 0)"},
    /* the cost of service level */
    {WITH("'agent_hour_cost':-1"), "agent_hour_cost: must be >= 0"},
    {WITH("'agent_hour_cost':12.345"), "agent_hour_cost: at most 2 decimals"},
    {WITH("'agent_hour_cost':'12'"), "agent_hour_cost: must be a number"},
    {WITH("'shrinkage_pct':100"), "shrinkage_pct: must be < 100"},
    {WITH("'shrinkage_pct':-0.5"), "shrinkage_pct: must be >= 0"},
    {WITH("'shrinkage_pct':30.125"), "shrinkage_pct: at most 2 decimals"},
};

/* agent_hour_cost is kept exact in cents; shrinkage_pct defaults to 0. */
static void test_cost_keys(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    int64_t cents = -1;
    assert_int_equal(
        parse_q(WITH("'agent_hour_cost':38.45,'shrinkage_pct':32.5"), &c, err, sizeof err), ST_OK);
    assert_true(contract_agent_hour_cost(c, &cents));
    assert_int_equal(cents, 3845);
    assert_true(contract_shrinkage_pct(c) == 32.5);
    json_t *j = contract_to_json(c);
    assert_true(json_number_value(json_object_get(j, "agent_hour_cost")) == 38.45);
    assert_true(json_number_value(json_object_get(j, "shrinkage_pct")) == 32.5);
    json_decref(j);
    contract_free(c);
    assert_int_equal(parse_q(WITH("'shrinkage_pct':99.99"), &c, err, sizeof err), ST_OK);
    assert_false(contract_agent_hour_cost(c, &cents));
    assert_int_equal(cents, 0);
    j = contract_to_json(c);
    assert_null(json_object_get(j, "agent_hour_cost"));
    json_decref(j);
    contract_free(c);
    assert_int_equal(parse_q(WITH("'agent_hour_cost':0"), &c, err, sizeof err), ST_OK);
    assert_true(contract_agent_hour_cost(c, &cents));
    assert_true(contract_shrinkage_pct(c) == 0);
    contract_free(c);
}

static void test_bad_contracts_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        contract_t *c = (contract_t *)1;
        char err[640] = "";
        int rc = parse_q(bad_cases[i].doc, &c, err, sizeof err);
        /* The message starts with the path and reason (an unknown name adds the valid ones). */
        if (rc != ST_ERR_INVALID || strncmp(err, bad_cases[i].err, strlen(bad_cases[i].err)) != 0)
            fail_msg("case %zu: rc %d err '%s', want '%s'", i, rc, err, bad_cases[i].err);
        assert_null(c);
    }
}

static void test_syntax_duplicates_and_size(void **state)
{
    (void)state;
    contract_t *c = NULL;
    char err[256] = "";
    assert_int_equal(parse_q("{" MIN_KEYS ",'items':[],'currency':'USD'}", &c, err, sizeof err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err, "duplicate"));
    assert_int_equal(parse_q("{'effective_from':", &c, err, sizeof err), ST_ERR_INVALID);
    assert_memory_equal(err, "contract: line 1", 16);
    char *big = xcalloc(CONTRACT_MAX_BYTES + 2, 1);
    memset(big, ' ', CONTRACT_MAX_BYTES + 1);
    assert_int_equal(contract_parse(big, CONTRACT_MAX_BYTES + 1, &c, err, sizeof err),
                     ST_ERR_TOO_LARGE);
    free(big);
    assert_null(c);
}

/* A version with only the required keys and the given effective_from. */
static contract_t *version(const char *date)
{
    char doc[256];
    snprintf(doc, sizeof doc,
             "{'effective_from':'%s','timezone':'UTC','monthly_fee':1,'currency':'CNY',"
             "'credit_cap_pct':1,'items':[]}",
             date);
    contract_t *c = NULL;
    char err[256] = "";
    assert_int_equal(parse_q(doc, &c, err, sizeof err), ST_OK);
    return c;
}

static void test_version_for_month(void **state)
{
    (void)state;
    /* In PUT order: the last one is an older version PUT late, v3b repeats v3's date. */
    contract_t *v1 = version("2026-01-01");
    contract_t *v2 = version("2026-03-15"); /* mid-month: applies from April */
    contract_t *v3 = version("2026-06-01");
    contract_t *v3b = version("2026-06-01"); /* later PUT, same date: replaces v3 */
    contract_t *v0 = version("2025-07-01");
    const contract_t *vs[] = {v1, v2, v3, v3b, v0};
    size_t n = 5;

    assert_null(contract_version_for_month(vs, n, 2025, 6));           /* before every version */
    assert_ptr_equal(contract_version_for_month(vs, n, 2025, 7), v0);  /* 07-01 <= 07-01 */
    assert_ptr_equal(contract_version_for_month(vs, n, 2025, 12), v0); /* only v0 is in force */
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 1), v1);  /* 2026-01-01 beats v0 */
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 2), v1);
    /* March: v2 starts 03-15, after March's first instant, so March keeps v1. */
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 3), v1);
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 4), v2);
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 5), v2);
    assert_ptr_equal(contract_version_for_month(vs, n, 2026, 6), v3b);
    assert_ptr_equal(contract_version_for_month(vs, n, 2027, 1), v3b);
    /* With v3b left out the tie is gone and v3 applies. */
    assert_ptr_equal(contract_version_for_month(vs, 3, 2026, 6), v3);
    assert_null(contract_version_for_month(vs, n, 2026, 13));
    assert_null(contract_version_for_month(vs, n, 2026, 0));
    assert_null(contract_version_for_month(vs, 0, 2026, 6));
    for (size_t i = 0; i < n; i++)
        contract_free((contract_t *)(uintptr_t)vs[i]);
}

static void test_to_json_round_trip(void **state)
{
    (void)state;
    contract_t *c = NULL, *c2 = NULL;
    char err[256] = "";
    assert_int_equal(parse_q(EXAMPLE, &c, err, sizeof err), ST_OK);
    json_t *j = contract_to_json(c);
    /* Defaults appear; money comes back exact. */
    assert_int_equal(json_integer_value(json_object_get(j, "earn_back_months")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "language")), "en");
    assert_int_equal(json_integer_value(json_object_get(j, "monthly_fee")), 120000);
    assert_int_equal(json_integer_value(json_object_get(j, "credit_cap_pct")), 12);
    const json_t *mon = json_object_get(json_object_get(j, "business_hours"), "mon");
    assert_string_equal(json_string_value(json_array_get(mon, 1)), "20:00");
    assert_null(json_object_get(json_object_get(j, "business_hours"), "tue"));
    assert_int_equal(contract_from_json(j, &c2, err, sizeof err), ST_OK);
    json_t *j2 = contract_to_json(c2);
    assert_true(json_equal(j, j2));
    assert_int_equal(contract_item_count(c2), 3);
    assert_int_equal(contract_monthly_fee_cents(c2), 12000000);
    json_decref(j2);
    json_decref(j);
    contract_free(c2);
    contract_free(c);

    /* Fractional money survives too: 100.01 and 7.5. */
    assert_int_equal(parse_q("{'effective_from':'2026-10-01','timezone':'UTC',"
                             "'monthly_fee':100.01,'currency':'USD','credit_cap_pct':7.5,"
                             "'business_hours':{'sun':['00:00','24:00']},'items':[]}",
                             &c, err, sizeof err),
                     ST_OK);
    j = contract_to_json(c);
    assert_int_equal(contract_from_json(j, &c2, err, sizeof err), ST_OK);
    assert_int_equal(contract_monthly_fee_cents(c2), 10001);
    assert_int_equal(contract_credit_cap_centi(c2), 750);
    int s, e;
    assert_true(contract_business_hours(c2, 0, &s, &e));
    assert_int_equal(e, 1440);
    json_decref(j);
    contract_free(c2);
    contract_free(c);
}

static void test_metric_table(void **state)
{
    (void)state;
    contract_metric_t m;
    assert_int_equal(contract_metric_from_name("wait_p90_s", &m), 0);
    assert_int_equal(m, CM_WAIT_P90_S);
    assert_int_equal(contract_metric_kind(m), CM_KIND_SECONDS);
    assert_int_equal(contract_metric_from_name("Service_Level", &m), -1);
    assert_int_equal(contract_metric_from_name("answered_within", &m), -1);
    assert_string_equal(contract_metric_name(CM_INTERVAL_COMPLIANCE), "interval_compliance");
    assert_null(contract_metric_name(CM_COUNT));
    /* Every name maps back to itself. */
    for (int i = 0; i < CM_COUNT; i++) {
        assert_int_equal(contract_metric_from_name(contract_metric_name((contract_metric_t)i), &m),
                         0);
        assert_int_equal(m, i);
    }
    assert_string_equal(contract_sl_formula_name(CONTRACT_SL_ABANDON_NEUTRAL), "abandon_neutral");
    assert_string_equal(contract_fcr_method_name(CONTRACT_FCR_DISPOSITION), "disposition");
    assert_string_equal(contract_cmp_name(CONTRACT_CMP_LE), "<=");
}

/* contract_check_new() of a ' -quoted document, collecting faults into a list. */
static int check_new_q(const char *q, json_t *list, char *err, size_t errlen, size_t *count)
{
    char *s = xstrdup(q);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    faults_t fl;
    faults_init(&fl, err, errlen, list);
    contract_t *c = NULL;
    int rc = contract_check_new(s, strlen(s), &c, &fl);
    if (rc == ST_OK)
        contract_free(c);
    *count = fl.count;
    free(s);
    return rc;
}

static const char *fault_path(json_t *list, size_t i)
{
    return json_string_value(json_object_get(json_array_get(list, i), "path"));
}

static void test_every_fault_is_named_in_one_answer(void **state)
{
    (void)state;
    /* Five faults in three places: a top-level key, a value, two items, a day. */
    const char *doc =
        "{'effective_from':'2026-10-01','timezone':'Asia/Shanghai','monthly_fee':1000,"
        "'currency':'cny','credit_cap_pct':10,'colour':'red',"
        "'business_hours':{'mon':['20:00','08:00']},"
        "'items':[{'metric':'servce_level','comparator':'>=','target':0.8,"
        "'credit_pct':3},{'metric':'fcr','comparator':'>','target':0.7,"
        "'credit_pct':1}]}";
    json_t *list = json_array();
    char err[640];
    size_t count = 0;
    assert_int_equal(check_new_q(doc, list, err, sizeof err, &count), ST_ERR_INVALID);
    assert_int_equal(count, 5);
    assert_int_equal(json_array_size(list), 5);
    /* Document order of the checks: unknown keys, terms (currency, items), options. */
    assert_string_equal(fault_path(list, 0), "colour");
    assert_string_equal(fault_path(list, 1), "currency");
    assert_string_equal(fault_path(list, 2), "items[0].metric");
    assert_string_equal(fault_path(list, 3), "items[1].comparator");
    assert_string_equal(fault_path(list, 4), "business_hours.mon");
    /* The first fault is also the message; an unknown name lists the valid ones. */
    assert_memory_equal(err, "colour: unknown key (one of: effective_from, timezone,", 54);
    json_t *metric = json_array_get(list, 2);
    const char *msg = json_string_value(json_object_get(metric, "message"));
    assert_memory_equal(msg, "unknown metric 'servce_level' (one of: service_level, abandon_rate,",
                        66);
    json_t *valid = json_object_get(metric, "valid");
    assert_int_equal(json_array_size(valid), CM_COUNT);
    assert_string_equal(json_string_value(json_array_get(valid, 0)), "service_level");
    assert_null(json_object_get(json_array_get(list, 1), "valid"));
    json_decref(list);
}

static void test_faults_are_capped_but_counted(void **state)
{
    (void)state;
    /* 17 items, each wrong in four places: 68 faults, 50 listed. */
    char doc[8192] = "{" MIN_KEYS ",'items':[";
    for (int i = 0; i < CM_COUNT; i++)
        snprintf(doc + strlen(doc), sizeof doc - strlen(doc),
                 "%s{'metric':'m%d','comparator':'=','target':'x','credit_pct':200}", i ? "," : "",
                 i);
    snprintf(doc + strlen(doc), sizeof doc - strlen(doc), "]}");
    json_t *list = json_array();
    char err[640];
    size_t count = 0;
    assert_int_equal(check_new_q(doc, list, err, sizeof err, &count), ST_ERR_INVALID);
    assert_int_equal(count, 4 * CM_COUNT);
    assert_int_equal(json_array_size(list), FAULTS_CAP);
    /* Item k holds faults 4k..4k+3 (metric, comparator, target, credit_pct): 48 and 49 are
     * the first two of items[12]. */
    assert_string_equal(fault_path(list, 48), "items[12].metric");
    assert_string_equal(fault_path(list, 49), "items[12].comparator");
    json_decref(list);
}

static void test_a_new_version_needs_an_item(void **state)
{
    (void)state;
    json_t *list = json_array();
    char err[640];
    size_t count = 0;
    assert_int_equal(check_new_q("{" MIN_KEYS ",'items':[]}", list, err, sizeof err, &count),
                     ST_ERR_INVALID);
    assert_int_equal(count, 1);
    assert_string_equal(fault_path(list, 0), "items");
    assert_memory_equal(err, "items: a contract needs at least one item", 41);
    json_decref(list);
    /* A stored version without items (older rules) still loads. */
    contract_t *c = NULL;
    assert_int_equal(parse_q("{" MIN_KEYS ",'items':[]}", &c, err, sizeof err), ST_OK);
    contract_free(c);
    /* And a syntax error is one fault about the document. */
    list = json_array();
    assert_int_equal(check_new_q("{'effective_from':", list, err, sizeof err, &count),
                     ST_ERR_INVALID);
    assert_int_equal(count, 1);
    assert_string_equal(fault_path(list, 0), "");
    assert_memory_equal(err, "contract: line 1", 16);
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_fields),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_variants_and_edges_accepted),
        cmocka_unit_test(test_bad_contracts_name_the_path),
        cmocka_unit_test(test_syntax_duplicates_and_size),
        cmocka_unit_test(test_cost_keys),
        cmocka_unit_test(test_version_for_month),
        cmocka_unit_test(test_to_json_round_trip),
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_every_fault_is_named_in_one_answer),
        cmocka_unit_test(test_faults_are_capped_but_counted),
        cmocka_unit_test(test_a_new_version_needs_an_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
