/* prom.c - Prometheus counters and histograms (see prom.h). */
#include "prom.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "xmem.h"

static const double bucket_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25,  0.5,   1,    2.5,   5,    10};
#define NBUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

typedef struct counter {
    const char *route, *method;
    int status;
    uint64_t count;
} counter_t;

typedef struct histogram {
    const char *route;
    uint64_t buckets[NBUCKETS]; /* cumulative at render time, per-bucket here */
    uint64_t count;
    double sum;
} histogram_t;

#define LAG_TICK_S 0.1 /* the loop-lag timer's period */

struct prom {
    counter_t *counters;
    size_t ncounters;
    histogram_t *hists;
    size_t nhists;
    histogram_t lag;         /* event-loop lag (route unused) */
    double lag_max;          /* the largest lag seen, seconds */
    double lag_due;          /* when the lag timer should fire next (monotonic seconds) */
    struct event *lag_timer; /* NULL until prom_watch_loop() */
};

/* Seconds on the monotonic clock. */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts one observation into a histogram's bucket, count and sum. */
static void hist_add(histogram_t *h, double seconds)
{
    for (size_t b = 0; b < NBUCKETS; b++)
        if (seconds <= bucket_bounds[b]) {
            h->buckets[b]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

/* The lag timer: how late it fires is how long the loop was busy (or waited for the CPU). */
static void on_lag_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    prom_t *p = arg;
    double now = mono_s(), lag = now - p->lag_due;
    if (lag < 0)
        lag = 0;
    hist_add(&p->lag, lag);
    if (lag > p->lag_max)
        p->lag_max = lag;
    p->lag_due = now + LAG_TICK_S;
}

int prom_watch_loop(prom_t *p, struct event_base *base)
{
    struct timeval tick = {0, (suseconds_t)(LAG_TICK_S * 1e6)};
    p->lag_timer = event_new(base, -1, EV_PERSIST, on_lag_tick, p);
    if (!p->lag_timer)
        return ST_ERR_INTERNAL;
    p->lag_due = mono_s() + LAG_TICK_S;
    return event_add(p->lag_timer, &tick) == 0 ? ST_OK : ST_ERR_INTERNAL;
}

prom_t *prom_new(void)
{
    return xcalloc(1, sizeof(prom_t));
}

void prom_free(prom_t *p)
{
    if (!p)
        return;
    if (p->lag_timer)
        event_free(p->lag_timer);
    free(p->counters);
    free(p->hists);
    free(p);
}

void prom_observe(prom_t *p, const char *route, const char *method, int status, double seconds)
{
    counter_t *c = NULL;
    for (size_t i = 0; i < p->ncounters && !c; i++)
        if (p->counters[i].route == route && p->counters[i].method == method &&
            p->counters[i].status == status)
            c = &p->counters[i];
    if (!c) {
        p->counters = xrealloc(p->counters, (p->ncounters + 1) * sizeof *p->counters);
        c = &p->counters[p->ncounters++];
        *c = (counter_t){route, method, status, 0};
    }
    c->count++;
    histogram_t *h = NULL;
    for (size_t i = 0; i < p->nhists && !h; i++)
        if (p->hists[i].route == route)
            h = &p->hists[i];
    if (!h) {
        p->hists = xrealloc(p->hists, (p->nhists + 1) * sizeof *p->hists);
        h = &p->hists[p->nhists++];
        memset(h, 0, sizeof *h);
        h->route = route;
    }
    hist_add(h, seconds);
}

int prom_render(const prom_t *p, const prom_gauges_t *g, buf_t *out)
{
    int rc = ST_OK;
    rc |= buf_puts(out, "# HELP slattest_http_requests_total HTTP responses by route, method "
                        "and status.\n# TYPE slattest_http_requests_total counter\n");
    for (size_t i = 0; i < p->ncounters; i++)
        rc |= buf_printf(out,
                         "slattest_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} "
                         "%llu\n",
                         p->counters[i].route, p->counters[i].method, p->counters[i].status,
                         (unsigned long long)p->counters[i].count);
    rc |= buf_puts(out, "# HELP slattest_http_request_duration_seconds Time from complete "
                        "headers to response.\n# TYPE slattest_http_request_duration_seconds "
                        "histogram\n");
    for (size_t i = 0; i < p->nhists; i++) {
        const histogram_t *h = &p->hists[i];
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += h->buckets[b];
            rc |= buf_printf(out,
                             "slattest_http_request_duration_seconds_bucket{route=\"%s\","
                             "le=\"%g\"} %llu\n",
                             h->route, bucket_bounds[b], (unsigned long long)cum);
        }
        rc |= buf_printf(out,
                         "slattest_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                         "%llu\n"
                         "slattest_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                         "slattest_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                         h->route, (unsigned long long)h->count, h->route, h->sum, h->route,
                         (unsigned long long)h->count);
    }
    rc |= buf_printf(out,
                     "# HELP slattest_db_errors_total Database errors since start.\n"
                     "# TYPE slattest_db_errors_total counter\nslattest_db_errors_total %llu\n"
                     "# HELP slattest_connections Open client connections.\n"
                     "# TYPE slattest_connections gauge\nslattest_connections %zu\n"
                     "# HELP slattest_jobs_pending Jobs queued or running on workers.\n"
                     "# TYPE slattest_jobs_pending gauge\nslattest_jobs_pending %zu\n",
                     (unsigned long long)g->db_errors_total, g->connections, g->jobs_pending);
    if (p->lag_timer) {
        rc |= buf_puts(out, "# HELP slattest_event_loop_lag_seconds How late a 100 ms timer on "
                            "the event loop fires: the wait of anything the loop answers "
                            "(probes).\n# TYPE slattest_event_loop_lag_seconds histogram\n");
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += p->lag.buckets[b];
            rc |= buf_printf(out, "slattest_event_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
                             bucket_bounds[b], (unsigned long long)cum);
        }
        rc |= buf_printf(out,
                         "slattest_event_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n"
                         "slattest_event_loop_lag_seconds_sum %.6f\n"
                         "slattest_event_loop_lag_seconds_count %llu\n"
                         "# HELP slattest_event_loop_lag_max_seconds The largest lag since start.\n"
                         "# TYPE slattest_event_loop_lag_max_seconds gauge\n"
                         "slattest_event_loop_lag_max_seconds %.6f\n",
                         (unsigned long long)p->lag.count, p->lag.sum,
                         (unsigned long long)p->lag.count, p->lag_max);
    }
    return rc ? ST_ERR_TOO_LARGE : ST_OK;
}

int prom_render_family(buf_t *out, const char *name, const char *type, const char *help,
                       const prom_sample_t *samples, size_t n)
{
    int rc = buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    for (size_t i = 0; i < n && rc == ST_OK; i++)
        rc = samples[i].labels
                 ? buf_printf(out, "%s{%s} %llu\n", name, samples[i].labels,
                              (unsigned long long)samples[i].value)
                 : buf_printf(out, "%s %llu\n", name, (unsigned long long)samples[i].value);
    return rc;
}
