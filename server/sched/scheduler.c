/* scheduler.c - the scheduler thread and its counters (see scheduler.h). */
#include "scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "pki.h"
#include "sched_run.h"
#include "status.h"
#include "waitclock.h"
#include "xmem.h"

static _Atomic uint64_t counters[SCHED_NCOUNTERS];
static _Atomic uint64_t overdue_gauge;

void sched_count(sched_counter_t c)
{
    atomic_fetch_add(&counters[c], 1);
}

void sched_set_overdue(uint64_t n)
{
    atomic_store(&overdue_gauge, n);
}

void sched_counts(uint64_t out[SCHED_NCOUNTERS], uint64_t *overdue)
{
    for (int i = 0; i < SCHED_NCOUNTERS; i++)
        out[i] = atomic_load(&counters[i]);
    *overdue = atomic_load(&overdue_gauge);
}

void sched_ca_fingerprint(const signing_t *signing, char out[65])
{
    out[0] = '\0';
    const char *pem = signing ? signing_ca_pem(signing) : NULL;
    STACK_OF(X509) *certs = NULL;
    char err[200], fp[PKI_FINGERPRINT_SIZE];
    if (pem && pki_certs_parse(pem, strlen(pem), &certs, err, sizeof err) == ST_OK &&
        sk_X509_num(certs) > 0 && pki_cert_fingerprint(sk_X509_value(certs, 0), fp) == ST_OK)
        snprintf(out, 65, "%s", fp);
    pki_certs_free(certs);
}

struct sched {
    const config_t *cfg;
    void (*wake)(void *);
    void *wake_arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    char who[128];
    char ca_fp[65];
};

/* One look by the clock: start, move on, deliver, record. */
static void look_once(sched_t *s, db_t *db)
{
    sched_look_t look = {.cfg = s->cfg,
                         .ca_fingerprint = s->ca_fp,
                         .runner = s->who,
                         .now = (int64_t)time(NULL),
                         .clock = true};
    int rc = sched_start_due(db, &look);
    if (look.runs_started && s->wake)
        s->wake(s->wake_arg);
    if (rc == ST_OK)
        rc = sched_finish_look(db, &look);
    sched_set_overdue((uint64_t)look.overdue);
    if (rc != ST_OK)
        log_warn("scheduler look failed", "error", db_error(db), NULL);
}

/* Waits interval_s seconds or until stopped; true when stopped. */
static bool pause_or_stop(sched_t *s)
{
    /* On the monotonic clock: a wall clock stepped back cannot stretch the wait. */
    struct timespec until = waitclock_after_ms(s->cfg->sched_interval_s * 1000);
    pthread_mutex_lock(&s->mu);
    while (!s->stop)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
            break;
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* The thread: look, wait, repeat; reconnect when the database comes back. */
static void *sched_main(void *arg)
{
    sched_t *s = arg;
    db_t *db = NULL;
    db_thread_init();
    do {
        if (!db || db_broken(db)) {
            db_close(db);
            db = NULL;
            char err[256];
            if (db_connect(s->cfg, true, &db, err, sizeof err) != ST_OK)
                continue;
        }
        look_once(s, db);
    } while (!pause_or_stop(s));
    db_close(db);
    db_thread_end();
    return NULL;
}

sched_t *sched_start(const config_t *cfg, const signing_t *signing, void (*wake)(void *), void *arg)
{
    if (cfg->sched_interval_s <= 0)
        return NULL;
    sched_t *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->wake = wake;
    s->wake_arg = arg;
    sched_ca_fingerprint(signing, s->ca_fp);
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(s->who, sizeof s->who, "%s:%d", host, (int)getpid());
    pthread_mutex_init(&s->mu, NULL);
    waitclock_cond_init(&s->cv);
    if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

void sched_stop(sched_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
