/* probe.c - the database readiness probe thread (see probe.h). */
#include "probe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "status.h"
#include "waitclock.h"
#include "xmem.h"

#define PROBE_INTERVAL_MS 1000

struct probe {
    const config_t *cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    atomic_bool ready;
    db_t *db;
};

/* One check: reconnect when needed, then a round trip. */
static void probe_check(probe_t *p)
{
    if (p->db && db_ping(p->db) != ST_OK) {
        db_close(p->db);
        p->db = NULL;
    }
    if (!p->db) {
        char err[256];
        if (db_connect(p->cfg, true, &p->db, err, sizeof err) != ST_OK)
            p->db = NULL;
    }
    atomic_store(&p->ready, p->db != NULL);
}

static void *probe_main(void *arg)
{
    probe_t *p = arg;
    db_thread_init();
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec until = waitclock_after_ms(PROBE_INTERVAL_MS);
        pthread_cond_timedwait(&p->cv, &p->mu, &until);
        if (p->stop)
            break;
        pthread_mutex_unlock(&p->mu);
        probe_check(p);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    db_close(p->db);
    p->db = NULL;
    db_thread_end();
    return NULL;
}

probe_t *probe_start(const config_t *cfg)
{
    probe_t *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    pthread_mutex_init(&p->mu, NULL);
    waitclock_cond_init(&p->cv);
    probe_check(p); /* on the caller's thread: ready is known before serving */
    if (pthread_create(&p->thread, NULL, probe_main, p) != 0) {
        db_close(p->db);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

bool probe_ready(const probe_t *p)
{
    return p && atomic_load(&p->ready);
}

void probe_stop(probe_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
