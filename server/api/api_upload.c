/*
 * api_upload.c - the one flow of every streamed batch upload (contacts and
 * the QA kinds): the body streams from the network into the batch's
 * transaction and, at the same time, into a spool file; when the
 * transaction loses a conflict (ST_ERR_RETRY: a deadlock, or a Galera
 * certification failure against a write on another node), the whole batch
 * runs again from the spool under db_retry()'s rule, so the client sends
 * once and gets one receipt.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "spool.h"
#include "status.h"

/* The state of one upload across its attempts. */
typedef struct upload {
    api_ctx_t *ctx;
    const api_upload_ops_t *ops;
    void *kind_arg;
    spool_t *spool;
    const char *mem; /* a body already in memory (api_upload_run_buffer), or NULL */
    size_t mem_len;
    void *batch;      /* the current attempt's batch (ops->free) */
    bool replay;      /* attempts after the first read the spool */
    bool body_failed; /* the network body failed: answered, nothing kept */
    bool spool_full;  /* the spool's disk has no room: answered as disk_full */
    char err[512];
} upload_t;

/* The message for a spool that cannot be created or written (errno e). */
static void spool_failed(upload_t *u, int e)
{
    u->spool_full = e == ENOSPC || e == EDQUOT;
    snprintf(u->err, sizeof u->err,
             "the upload could not be spooled to the server's disk (%s/tmp: %s); nothing of it "
             "was kept; try again%s",
             api_config(u->ctx)->var, strerror(e), u->spool_full ? " once space is freed" : "");
}

/* Feeds the body from the network, keeping a copy; after a failed feed the
 * rest is still read into the spool, so a retry has all of it. */
static int feed_network(upload_t *u)
{
    const char *data;
    long n;
    int rc = ST_OK;
    while ((n = api_body_next(u->ctx, &data)) > 0) {
        if (spool_write(u->spool, data, (size_t)n) != ST_OK) {
            spool_failed(u, errno);
            return ST_ERR_IO;
        }
        if (rc == ST_OK)
            rc = u->ops->feed(u->batch, data, (size_t)n);
    }
    if (n < 0)
        u->body_failed = true; /* api_body_next() has answered */
    return n < 0 ? ST_ERR_IO : rc;
}

/* Feeds the spooled copy again. */
static int feed_spool(upload_t *u)
{
    int rc = spool_rewind(u->spool);
    const char *data;
    long n = 0;
    while (rc == ST_OK && (n = spool_read(u->spool, &data)) > 0)
        rc = u->ops->feed(u->batch, data, (size_t)n);
    return rc == ST_OK && n < 0 ? ST_ERR_IO : rc;
}

/* One attempt: a new batch, fed whole, finished (committed or refused). */
static int upload_attempt(db_t *db, void *arg)
{
    upload_t *u = arg;
    u->ops->free(u->batch);
    u->batch = NULL;
    int rc = u->ops->begin(db, u->ctx, u->kind_arg, &u->batch, u->err, sizeof u->err);
    if (rc != ST_OK)
        return rc;
    if (u->mem)
        rc = u->ops->feed(u->batch, u->mem, u->mem_len);
    else
        rc = u->replay ? feed_spool(u) : feed_network(u);
    u->replay = true;
    if (rc == ST_OK)
        rc = u->ops->finish(u->batch);
    if (rc != ST_OK) { /* freeing rolls the attempt's transaction back */
        u->ops->free(u->batch);
        u->batch = NULL;
    }
    return rc;
}

/* Runs the attempts of u to their answer (both entry points). */
static void upload_answer(upload_t *u, db_t *db)
{
    api_ctx_t *ctx = u->ctx;
    const api_upload_ops_t *ops = u->ops;
    int rc = db_retry(db, upload_attempt, u);
    if (u->body_failed)
        ; /* api_body_next() has answered; nothing is kept */
    else if (rc == ST_ERR_IO && u->err[0])
        api_error(ctx, 503, u->spool_full ? "disk_full" : "unavailable", u->err, NULL);
    else if (rc != ST_OK)
        api_db_error(ctx, rc, db);
    else
        api_json(ctx, ops->committed(u->batch) ? 200 : 422, ops->receipt(u->batch));
    ops->free(u->batch);
    u->batch = NULL;
}

void api_upload_run(api_ctx_t *ctx, db_t *db, const api_upload_ops_t *ops, void *kind_arg)
{
    upload_t u = {.ctx = ctx, .ops = ops, .kind_arg = kind_arg};
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tmp", api_config(ctx)->var);
    int rc = spool_new(dir, &u.spool);
    if (rc != ST_OK) {
        spool_failed(&u, errno);
        api_error(ctx, 503, u.spool_full ? "disk_full" : "unavailable", u.err, NULL);
        return;
    }
    upload_answer(&u, db);
    spool_free(u.spool);
}

void api_upload_run_buffer(api_ctx_t *ctx, db_t *db, const api_upload_ops_t *ops, void *kind_arg,
                           const char *data, size_t len)
{
    upload_t u = {
        .ctx = ctx, .ops = ops, .kind_arg = kind_arg, .mem = data ? data : "", .mem_len = len};
    upload_answer(&u, db);
}
