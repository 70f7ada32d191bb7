/*
 * prom.h - the server's Prometheus metrics: requests by route, method and
 * status, a latency histogram by route, and gauges supplied at render time.
 * prom_observe() and prom_render() run on the event-loop thread only (no
 * locks needed); counters from other threads (database errors) are read
 * through atomics by the caller and passed to prom_render().
 */
#ifndef SLT_PROM_H
#define SLT_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct prom prom_t;

typedef struct prom_gauges {
    uint64_t db_errors_total;
    size_t connections;
    size_t jobs_pending;
} prom_gauges_t;

prom_t *prom_new(void);
void prom_free(prom_t *p);
/*
 * Measures the event loop's lag from now on: a 100 ms timer on base notes
 * how late it fires (slattest_event_loop_lag_seconds, a histogram, and its
 * maximum).  A late timer means the loop was busy or waited for the CPU,
 * which is what `/healthz` waits for.  Loop thread; base must outlive p.
 */
struct event_base;
int prom_watch_loop(prom_t *p, struct event_base *base);
/* Counts one response; route and method must be static strings. */
void prom_observe(prom_t *p, const char *route, const char *method, int status, double seconds);
/* Appends the text exposition format to out. */
int prom_render(const prom_t *p, const prom_gauges_t *g, buf_t *out);

/* One labelled sample of a family rendered by prom_render_family(). */
typedef struct prom_sample {
    const char *labels; /* e.g. channel="email",outcome="sent" (static text), or NULL */
    uint64_t value;
} prom_sample_t;

/* Appends a family of samples another module keeps (type "counter" or
 * "gauge") in the text exposition format.  Any thread; out is the caller's. */
int prom_render_family(buf_t *out, const char *name, const char *type, const char *help,
                       const prom_sample_t *samples, size_t n);

#endif
