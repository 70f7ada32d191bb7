/*
 * report_model_stream.c - tables read from the database while the writer
 * writes them (Evidence, Appeals): listings that grow with the month, so
 * the model never holds them (xl_model.h, streamed tables).
 *
 * A pass runs the table's one query on a thread of its own
 * (db_query_rows() pushes rows, the writer pulls): the thread fills a
 * batch of records while the writer turns the batch before into cells
 * (relay.h), so the database's time overlaps the sheet's, and memory is
 * two batches whatever the month holds.  The connection is the thread's
 * for the whole pass: nothing else may use it until the pass is closed
 * (xl_write() reads nothing else meanwhile), and one pass is open at a
 * time.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "report_model_int.h"
#include "status.h"
#include "xmem.h"

#define STREAM_BATCH_BYTES ((size_t)1 << 20) /* records handed over at a time */

/* The stream's definition, owned by the model (def.arg with it). */
typedef struct stream_src {
    db_t *db;
    rmodel_stream_def_t def;
    size_t per_batch; /* records a batch holds */
} stream_src_t;

/* One pass: the reading thread's side (row, batch) and the writer's (recs). */
typedef struct stream_pass {
    const stream_src_t *src;
    relay_t *relay;
    pthread_t thread;
    bool thread_up;
    /* the thread's */
    unsigned char *row, *batch;
    size_t n_batch;
    char why[256];
    /* the writer's: the batch taken, its records, and the next one */
    const unsigned char *recs;
    size_t n_recs, next;
} stream_pass_t;

/* db_query_rows' on_row: the record into the batch; a full batch to the writer. */
static int stream_fetched(void *ctx)
{
    stream_pass_t *p = ctx;
    size_t size = p->src->def.rec_size;
    memcpy(p->batch + p->n_batch++ * size, p->row, size);
    if (p->n_batch < p->src->per_batch)
        return ST_OK;
    relay_put(p->relay, p->n_batch * size, false);
    p->n_batch = 0;
    p->batch = relay_fill(p->relay);
    return p->batch ? ST_OK : ST_ERR_TIMEOUT; /* the writer stopped reading: stop the query */
}

/* The reading thread: the whole query into batches, then the end (or the failure). */
static void *stream_reader(void *arg)
{
    stream_pass_t *p = arg;
    const stream_src_t *s = p->src;
    if (!(p->batch = relay_fill(p->relay)))
        return NULL;
    int rc = db_query_rows(s->db, s->def.sql, s->def.params, s->def.n_params, s->def.cols,
                           s->def.n_cols, p->row, stream_fetched, p);
    if (rc == ST_OK) {
        relay_put(p->relay, p->n_batch * s->def.rec_size, true);
    } else if (p->batch) {
        snprintf(p->why, sizeof p->why, "%s", db_error(s->db));
        relay_fail(p->relay);
    }
    return NULL;
}

/* xl_source_t open: a pass from the first row, its reading thread started. */
static int stream_open(void *arg, void **cur, char *err, size_t errlen)
{
    stream_pass_t *p = xcalloc(1, sizeof *p);
    p->src = arg;
    p->row = xcalloc(1, p->src->def.rec_size);
    p->relay = relay_new(p->src->per_batch * p->src->def.rec_size);
    if (pthread_create(&p->thread, NULL, stream_reader, p) != 0) {
        st_errf(err, errlen, "cannot start the thread that reads %s", p->src->def.what);
        relay_free(p->relay);
        free(p->row);
        free(p);
        return ST_ERR_INTERNAL;
    }
    p->thread_up = true;
    *cur = p;
    return ST_OK;
}

/* xl_source_t next: the next row, taking a batch when one runs out. */
static int stream_next(void *cur, xl_table_t *row, char *err, size_t errlen)
{
    stream_pass_t *p = cur;
    const rmodel_stream_def_t *d = &p->src->def;
    while (p->next == p->n_recs) {
        const void *data;
        size_t len;
        int got = relay_take(p->relay, &data, &len);
        if (got < 0) {
            st_errf(err, errlen, "reading %s: %s", d->what, p->why);
            return ST_ERR_DB;
        }
        if (got == 0)
            return 0;
        p->recs = data;
        p->n_recs = len / d->rec_size;
        p->next = 0;
    }
    int rc = d->row(d->arg, row, p->recs + p->next++ * d->rec_size, err, errlen);
    return rc == ST_OK ? 1 : rc;
}

/* xl_source_t close: stops the reading thread (wherever it is) and frees the pass. */
static void stream_close(void *cur)
{
    stream_pass_t *p = cur;
    relay_abandon(p->relay);
    if (p->thread_up)
        pthread_join(p->thread, NULL);
    relay_free(p->relay);
    free(p->row);
    free(p);
}

/* xl_source_t release: the definition's state, with the model. */
static void stream_release(void *arg)
{
    stream_src_t *s = arg;
    if (s->def.release)
        s->def.release(s->def.arg);
    free(s);
}

int rmodel_stream(rmodel_ctx_t *x, const char *table, const rmodel_stream_def_t *def)
{
    static const xl_source_t source = {stream_open, stream_next, stream_close, stream_release};
    if (def->n_params > RMODEL_STREAM_PARAMS || def->rec_size == 0 ||
        def->rec_size > STREAM_BATCH_BYTES) {
        if (def->release)
            def->release(def->arg);
        return ST_ERR_INTERNAL;
    }
    stream_src_t *s = xcalloc(1, sizeof *s);
    s->db = x->db;
    s->def = *def;
    s->per_batch = STREAM_BATCH_BYTES / def->rec_size;
    /* The model owns s from here, in every case. */
    return xl_model_stream(x->m, table, &source, s);
}
