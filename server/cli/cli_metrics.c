/*
 * cli_metrics.c - `slattest metrics SLUG --from D [--to D] [--by B]
 * [--repeat K] [--split] [--source S] [--rows]`: computes a tenant's
 * metrics in this process with metrics_compute_from() (from rollups alone
 * as the reports, checked against the contacts as GET /metrics, or from
 * the contacts as the reference) and prints, as one JSON object on stdout,
 * how long the load and computation took plus the total row (and every
 * row with --rows).  A measurement tool without HTTP: bench/metrics runs
 * it, and the tests compare the sources with it.
 *
 * The time covers metrics_compute_from() only (contract, rollups and
 * contacts read over the connection, computation), not process start or
 * connecting.  --repeat K runs it K times and reports the best and every
 * time.  --split also times runs computing each grouping twice in one
 * pass: the difference in process CPU time is the per-grouping
 * computation (the FCR repeat test, run once per read, is counted with the
 * load), the rest of the wall time the load, itself split into this
 * process's CPU (reading and converting the rows) and the wait for the
 * database server (wall minus CPU: the query, and sending the rows).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "jsonutil.h"
#include "metrics_run.h"
#include "sla.h"
#include "status.h"
#include "tenant.h"
#include "tz.h"

#define REPEAT_MAX 1000
#define BY_MAX     (SLA_BY_REASON + 1) /* groupings in one --by: each of them once */

/* Seconds on the monotonic clock. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process (the client side: reading rows and computing). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's peak resident memory in MiB: VmHWM of /proc/self/status,
 * which starts afresh at exec (getrusage's ru_maxrss keeps the peak of the
 * process that forked us, e.g. a large Python bench); ru_maxrss when the
 * file cannot be read. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && kb < 0 && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = ru.ru_maxrss;
    }
    return (double)kb / 1024.0;
}

/* --by: one grouping or several separated by commas (computed from one
 * read, as a report does); false when a name is unknown or too many. */
static bool parse_by(const char *s, sla_by_t *bys, size_t *n)
{
    *n = 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (*n == BY_MAX || sla_by_parse(s, len, &bys[*n]) != ST_OK)
            return false;
        (*n)++;
        if (!comma)
            return true;
        s = comma + 1;
    }
}

/* The total row's main figures, enough to check both sides of the benchmark. */
static json_t *total_json(const sla_row_t *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "offered", json_integer(r->offered));
    json_object_set_new(o, "answered", json_integer(r->answered));
    json_object_set_new(o, "abandoned", json_integer(r->abandoned));
    json_object_set_new(o, "short_abandoned", json_integer(r->short_abandoned));
    json_object_set_new(o, "overflow", json_integer(r->overflow));
    json_object_set_new(o, "answered_within", json_integer(r->answered_within));
    json_object_set_new(o, "abandoned_within", json_integer(r->abandoned_within));
    json_object_set_new(o, "transferred", json_integer(r->transferred));
    json_object_set_new(o, "csat_n", json_integer(r->csat_n));
    json_object_set_new(o, "csat_good", json_integer(r->csat_good));
    json_object_set_new(o, "service_level", jsonutil_number(r->service_level));
    json_object_set_new(o, "asa_s", jsonutil_number(r->asa_s));
    json_object_set_new(o, "avg_abandon_s", jsonutil_number(r->avg_abandon_s));
    json_object_set_new(o, "max_wait_s", jsonutil_number(r->max_wait_s));
    json_object_set_new(o, "wait_p90_s", jsonutil_number(r->wait_p90_s));
    json_object_set_new(o, "abandon_rate", jsonutil_number(r->abandon_rate));
    json_object_set_new(o, "aht_s", jsonutil_number(r->aht_s));
    json_object_set_new(o, "transfer_rate", jsonutil_number(r->transfer_rate));
    json_object_set_new(o, "fcr", jsonutil_number(r->fcr));
    json_object_set_new(o, "csat", jsonutil_number(r->csat));
    json_object_set_new(o, "interval_compliance", jsonutil_number(r->interval_compliance));
    json_object_set_new(o, "fcr_base", json_integer(r->fcr_base));
    json_object_set_new(o, "fcr_resolved", json_integer(r->fcr_resolved));
    json_object_set_new(o, "fcr_provisional", json_boolean(r->fcr_provisional));
    json_object_set_new(o, "csat_mean", jsonutil_number(r->csat_mean));
    json_object_set_new(o, "answer_rate", jsonutil_number(r->answer_rate));
    json_object_set_new(o, "required_agents", jsonutil_number(r->required_agents));
    json_object_set_new(o, "agents", json_integer(r->agents));
    json_object_set_new(o, "compliance_met", json_integer(r->compliance_met));
    return o;
}

/* The best (smallest) wall and CPU times of a series of runs, and each wall time. */
typedef struct series {
    double wall, cpu;
    json_t *each;
} series_t;

/*
 * One run of metrics_compute_many over the groupings (each computed twice
 * in the same pass when twice), its wall and process CPU times folded into
 * *s.  On ST_OK with keep non-NULL, *keep is the first grouping's result
 * (the caller's).
 */
static int timed_run(db_t *db, const tenant_t *t, const sla_period_t *p, const sla_by_t *bys,
                     size_t n_by, metrics_source_t source, bool twice, series_t *s,
                     sla_result_t **keep, metrics_info_t *info, char *err, size_t errlen)
{
    sla_by_t all[2 * BY_MAX];
    sla_result_t *res[2 * BY_MAX] = {NULL};
    size_t n = 0;
    for (int k = 0; k < (twice ? 2 : 1); k++)
        for (size_t i = 0; i < n_by; i++)
            all[n++] = bys[i];
    double t0 = now_s(), c0 = cpu_s();
    int rc = metrics_compute_from(db, t, p, all, n, (int64_t)time(NULL) * 1000000, source, res,
                                  info, err, errlen);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    if (rc != ST_OK)
        return rc;
    s->wall = dt < s->wall ? dt : s->wall;
    s->cpu = dc < s->cpu ? dc : s->cpu;
    json_array_append_new(s->each, json_real(dt));
    if (keep) {
        sla_result_free(*keep);
        *keep = res[0];
        res[0] = NULL;
    }
    for (size_t i = 0; i < n; i++)
        sla_result_free(res[i]);
    return ST_OK;
}

int cli_metrics(config_t *cfg, int argc, char **argv)
{
    const char *slug = NULL, *from = NULL, *to = NULL, *by_name = "month";
    static const char *const source_names[3] = {[METRICS_FROM_ROLLUPS] = "rollups",
                                                [METRICS_CHECKED] = "checked",
                                                [METRICS_FROM_CONTACTS] = "contacts"};
    long repeat = 1;
    bool split = false, bad = false, rows_out = false;
    metrics_source_t source = METRICS_FROM_ROLLUPS;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
            by_name = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            char *end = NULL;
            repeat = strtol(argv[++i], &end, 10);
            bad = !end || *end || repeat < 1 || repeat > REPEAT_MAX;
        } else if (strcmp(argv[i], "--split") == 0)
            split = true;
        else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
            i++;
            bad = true;
            for (int k = 0; k < 3; k++)
                if (strcmp(argv[i], source_names[k]) == 0) {
                    source = (metrics_source_t)k;
                    bad = false;
                }
        } else if (strcmp(argv[i], "--rows") == 0)
            rows_out = true;
        else if (!slug && argv[i][0] != '-')
            slug = argv[i];
        else
            bad = true;
    }
    sla_period_t period;
    sla_by_t bys[BY_MAX];
    size_t n_by = 0;
    char why[128] = "";
    bad = bad || !slug || !from || !parse_by(by_name, bys, &n_by) ||
          sla_period_parse(from, to ? to : from, &period, why, sizeof why) != ST_OK;
    if (why[0] && !cli_wants_help(argc, argv))
        fprintf(stderr, "slattest: metrics: %s\n", why);
    if (bad || cli_wants_help(argc, argv)) {
        puts("usage: slattest metrics SLUG --from YYYY-MM[-DD] [--to YYYY-MM[-DD]]\n"
             "       [--by month|day|interval|queue|agent|reason[,...]] [--repeat K] [--split]\n"
             "       [--source rollups|checked|contacts] [--rows]\n"
             "--source: rollups alone (the default, as the reports), rollup counts checked\n"
             "against the contacts (as GET /metrics), or contacts only (the reference).\n"
             "--rows adds every row of the first grouping (its main metrics) to the JSON.\n"
             "Computes the tenant's metrics in this process (no HTTP) and prints JSON: the\n"
             "time of the load and computation (best of K runs, and each run), the contacts\n"
             "read, the number of rows, peak RSS, and the total row (of the first grouping).\n"
             "Several groupings (--by day,queue,agent) come from one read, as in a report.\n"
             "--split also estimates\n"
             "load and computation apart (runs computing the grouping twice: the CPU time\n"
             "they add is the computation) and the wait for the database server.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    db_t *db = cli_open_db(cfg);
    if (!db)
        return 1;
    int code = 1;
    tenant_t t;
    char err[512] = "";
    metrics_info_t info;
    sla_result_t *res = NULL;
    series_t one = {INFINITY, INFINITY, json_array()}, two = {INFINITY, INFINITY, json_array()};
    json_t *out = NULL;
    if (tenant_by_slug(db, slug, &t) != ST_OK) {
        fprintf(stderr, "slattest: no tenant '%s'\n", slug);
        goto done;
    }
    /* Interleaved, so that a busy moment of the machine hits both series. */
    int rc = ST_OK;
    for (long i = 0; i < repeat && rc == ST_OK; i++) {
        rc = timed_run(db, &t, &period, bys, n_by, source, false, &one, &res, &info, err,
                       sizeof err);
        if (rc == ST_OK && split)
            rc = timed_run(db, &t, &period, bys, n_by, source, true, &two, NULL, &info, err,
                           sizeof err);
    }
    if (rc != ST_OK) {
        fprintf(stderr, "slattest: metrics: %s\n", err[0] ? err : db_error(db));
        goto done;
    }
    out = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:f, s:O, s:f, s:f}", "tenant",
                    slug, "from", from, "to", to ? to : from, "by", by_name, "contract_version",
                    info.contract_version, "timezone", info.timezone, "contacts",
                    (json_int_t)info.contacts, "rows", (json_int_t)sla_result_count(res), "repeat",
                    (json_int_t)repeat, "seconds", one.wall, "seconds_each", one.each,
                    "client_cpu_s", one.cpu, "peak_rss_mb", peak_rss_mb());
    if (split) {
        /* Computing twice costs one more computation and no more loading;
         * CPU time is far less disturbed by a busy machine than wall time. */
        double compute = two.cpu - one.cpu > 0 ? two.cpu - one.cpu : 0;
        json_object_set_new(
            out, "split",
            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:O}", "load_s", one.wall - compute,
                      "compute_s", compute, "load_cpu_s", one.cpu - compute, "server_wait_s",
                      one.wall > one.cpu ? one.wall - one.cpu : 0.0, "seconds_twice", two.wall,
                      "client_cpu_twice_s", two.cpu, "seconds_twice_each", two.each));
    }
    json_object_set_new(out, "source", json_string(info.source ? info.source : ""));
    json_object_set_new(out, "rollup_rows", json_integer((json_int_t)info.rollup_rows));
    json_object_set_new(out, "total", total_json(sla_result_total(res)));
    if (rows_out) {
        json_t *list = json_array();
        for (size_t i = 0; i < sla_result_count(res); i++)
            json_array_append_new(list, total_json(sla_result_row(res, i)));
        json_object_set_new(out, "rows", list);
    }
    char *text = jsonutil_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    code = 0;
done:
    json_decref(out);
    json_decref(one.each);
    json_decref(two.each);
    sla_result_free(res);
    db_close(db);
    return code;
}
