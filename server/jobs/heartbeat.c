/* heartbeat.c - a running report job's heartbeat thread (see heartbeat.h). */
#include "heartbeat.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "status.h"
#include "waitclock.h"
#include "xmem.h"

struct heartbeat {
    const config_t *cfg;
    char who[128];
    int every_ms;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t tenant_id, id; /* the job watched; id 0: none */
};

/* Stamps the heartbeat once; the job must still be running and ours. */
static void beat(db_t *db, const heartbeat_t *hb, uint64_t tenant_id, uint64_t id)
{
    db_val_t v[] = {db_u64(tenant_id), db_u64(id), db_str(hb->who)};
    if (db_exec(db,
                "UPDATE reports SET heartbeat_at = UTC_TIMESTAMP(6) WHERE tenant_id = ? AND "
                "id = ? AND worker = ? AND status = 'running'",
                v, 3, NULL) != ST_OK)
        log_warn("report heartbeat failed", "error", db_error(db), NULL);
}

/* The thread: beat the watched job (if any), sleep every_ms (or until told), again. */
static void *heartbeat_main(void *arg)
{
    heartbeat_t *hb = arg;
    db_t *db = NULL;
    char err[256];
    db_thread_init();
    pthread_mutex_lock(&hb->mu);
    while (!hb->stop) {
        uint64_t tenant_id = hb->tenant_id, id = hb->id;
        pthread_mutex_unlock(&hb->mu);
        if (id && (!db || db_broken(db))) {
            db_close(db);
            db = NULL;
            if (db_connect(hb->cfg, true, &db, err, sizeof err) != ST_OK)
                log_warn("report heartbeat: no database connection", "error", err, NULL);
        }
        if (id && db)
            beat(db, hb, tenant_id, id);
        struct timespec until =
            waitclock_after_ms(hb->every_ms); /* a clock step cannot stretch it */
        pthread_mutex_lock(&hb->mu);
        while (!hb->stop && hb->id == id && pthread_cond_timedwait(&hb->cv, &hb->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&hb->mu);
    db_close(db);
    db_thread_end();
    return NULL;
}

heartbeat_t *heartbeat_new(const config_t *cfg, const char *who, int every_ms)
{
    heartbeat_t *hb = xcalloc(1, sizeof *hb);
    hb->cfg = cfg;
    hb->every_ms = every_ms >= 100 ? every_ms : 100;
    snprintf(hb->who, sizeof hb->who, "%s", who);
    pthread_mutex_init(&hb->mu, NULL);
    waitclock_cond_init(&hb->cv);
    hb->started = pthread_create(&hb->thread, NULL, heartbeat_main, hb) == 0;
    if (!hb->started)
        log_warn("report heartbeat: no thread", NULL);
    return hb;
}

/* Sets the job watched (id 0: none) and wakes the thread to beat at once. */
static void watch(heartbeat_t *hb, uint64_t tenant_id, uint64_t id)
{
    pthread_mutex_lock(&hb->mu);
    hb->tenant_id = tenant_id;
    hb->id = id;
    pthread_cond_signal(&hb->cv);
    pthread_mutex_unlock(&hb->mu);
}

void heartbeat_watch(heartbeat_t *hb, uint64_t tenant_id, uint64_t id)
{
    if (hb)
        watch(hb, tenant_id, id);
}

void heartbeat_unwatch(heartbeat_t *hb)
{
    if (hb)
        watch(hb, 0, 0);
}

void heartbeat_free(heartbeat_t *hb)
{
    if (!hb)
        return;
    pthread_mutex_lock(&hb->mu);
    hb->stop = true;
    pthread_cond_signal(&hb->cv);
    pthread_mutex_unlock(&hb->mu);
    if (hb->started)
        pthread_join(hb->thread, NULL);
    pthread_cond_destroy(&hb->cv);
    pthread_mutex_destroy(&hb->mu);
    free(hb);
}

heartbeat_t *heartbeat_start(const config_t *cfg, uint64_t tenant_id, uint64_t id, const char *who,
                             int every_ms)
{
    heartbeat_t *hb = heartbeat_new(cfg, who, every_ms);
    heartbeat_watch(hb, tenant_id, id);
    return hb;
}

void heartbeat_stop(heartbeat_t *hb)
{
    heartbeat_free(hb);
}
