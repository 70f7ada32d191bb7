/*
 * db.h - one MariaDB connection and prepared statements with typed values.
 *
 * Every statement that carries data goes through db_exec(): SQL text with
 * `?` placeholders plus an array of db_val_t, never text built from input.
 * Results are copied into a db_res_t that the caller frees; the connection
 * is free for the next statement as soon as db_exec() returns.
 *
 * A db_t belongs to one thread at a time (a worker, or the CLI).  When the
 * server goes away db_broken() turns true and the owner reconnects: nothing
 * reconnects silently in the middle of a transaction.
 */
#ifndef SLT_DB_H
#define SLT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

typedef struct db db_t;
typedef struct db_res db_res_t;

typedef enum db_type {
    DBT_NULL,
    DBT_STR,
    DBT_BLOB,
    DBT_I64,
    DBT_U64,
    DBT_DOUBLE,
    DBT_FILE /* a BLOB read from a file descriptor: db_file() */
} db_type;

/* One parameter value; it points at caller memory, which db_exec() does not keep. */
typedef struct db_val {
    db_type type;
    const void *p;
    unsigned long len;
    int64_t i;
    double d;
} db_val_t;

static inline db_val_t db_null(void)
{
    return (db_val_t){.type = DBT_NULL};
}
static inline db_val_t db_str(const char *s)
{
    return (db_val_t){.type = DBT_STR, .p = s, .len = (unsigned long)strlen(s)};
}
static inline db_val_t db_strn(const char *s, size_t n)
{
    return (db_val_t){.type = DBT_STR, .p = s, .len = (unsigned long)n};
}
static inline db_val_t db_blob(const void *p, size_t n)
{
    return (db_val_t){.type = DBT_BLOB, .p = p, .len = (unsigned long)n};
}
static inline db_val_t db_i64(int64_t v)
{
    return (db_val_t){.type = DBT_I64, .i = v};
}
static inline db_val_t db_u64(uint64_t v)
{
    return (db_val_t){.type = DBT_U64, .i = (int64_t)v};
}
static inline db_val_t db_double(double v)
{
    return (db_val_t){.type = DBT_DOUBLE, .d = v};
}
/*
 * A BLOB parameter of the first len bytes of the file open on fd (db_exec(),
 * db_query_rows(); not the bulk calls): sent in pieces with mysql_stmt_send_long_data(), so a value
 * of hundreds of megabytes is never whole in this process.  Each db_exec() reads it from offset 0
 * with pread() (the descriptor's position is left alone), so a transaction that runs again sends it
 * again whole.  A file shorter than len fails the statement (ST_ERR_IO) before it executes. The
 * server still assembles the whole value: it may not exceed its max_allowed_packet
 * (docs/DEPLOY.md).
 */
static inline db_val_t db_file(int fd, uint64_t len)
{
    return (db_val_t){.type = DBT_FILE, .i = fd, .len = (unsigned long)len};
}

/* Calls mysql_library_init; once per process, before any thread starts. */
int db_library_init(void);
/* Releases the client library at exit. */
void db_library_end(void);
/* Per-thread set-up and tear-down of the client library (worker threads). */
void db_thread_init(void);
void db_thread_end(void);

/*
 * Connects as the configuration says: the embedded server's socket when no
 * host or socket is configured.  With `with_database` false, connects
 * without selecting a database (to create it).  The session runs in UTC,
 * utf8mb4, strict SQL mode.  Caller owns *out (db_close).
 */
int db_connect(const config_t *cfg, bool with_database, db_t **out, char *err, size_t errlen);
void db_close(db_t *db);
/* True once the server connection was lost; the owner should reconnect. */
bool db_broken(const db_t *db);
/* The last error message (owned by db, valid until the next call). */
const char *db_error(const db_t *db);
/* The last MariaDB error number (0 if none). */
unsigned db_errno(const db_t *db);
/* True when the last error was the database's disk full (1021, 1114, errno 28). */
bool db_disk_full(const db_t *db);
/* A round trip to the server: ST_OK or ST_ERR_UNAVAILABLE. */
int db_ping(db_t *db);

/*
 * Prepares and executes `sql` with n parameters.  When res is non-NULL and
 * the statement returns rows, they are all read into *res (caller frees).
 * Returns ST_OK, ST_ERR_CONFLICT (duplicate key), ST_ERR_UNAVAILABLE
 * (connection lost), ST_ERR_IO (a db_file() parameter's file could not be
 * read whole) or ST_ERR_DB.
 */
int db_exec(db_t *db, const char *sql, const db_val_t *params, size_t n, db_res_t **res);
/* Rows changed by, and AUTO_INCREMENT id made by, the last db_exec(). */
uint64_t db_affected(const db_t *db);
uint64_t db_insert_id(const db_t *db);

/*
 * Runs constant SQL text (no data in it: DDL, START TRANSACTION, migrations
 * with several statements).  Never pass text that contains input.
 */
int db_run_static(db_t *db, const char *sql);
/* Allows several statements in one db_run_static() text (migrations only). */
int db_allow_multi(db_t *db, bool on);
int db_begin(db_t *db);
int db_commit(db_t *db);
/* Rolls back; harmless when no transaction is open or the connection is gone. */
void db_rollback(db_t *db);

/*
 * The transaction runner: every write transaction goes through it.  Runs
 * fn(db, arg) between START TRANSACTION and COMMIT; when fn or the COMMIT
 * fails with ST_ERR_RETRY (a deadlock, a Galera certification failure, a
 * node not ready), rolls back and runs the whole of it again after a short
 * growing backoff, up to DB_TX_TRIES times.  Any other failure rolls back
 * and is returned.  fn must not begin, commit or roll back itself, and must
 * do all of its work again on each call (state it keeps in arg is reset by
 * fn at its start).  Mutual exclusion across instances comes from a write
 * that conflicts (a row every contender updates), never from a lock alone:
 * on a Galera cluster row locks are local to a node.  Caller's thread.
 */
#define DB_TX_TRIES 8
typedef int (*db_tx_fn)(db_t *db, void *arg);
int db_tx(db_t *db, db_tx_fn fn, void *arg);
/*
 * Before (on = true) and after (false) a transaction that may write very
 * many rows (an ingest batch): on a Galera cluster, the transaction then
 * replicates in fragments of [database] fragment_rows rows as it goes
 * (streaming replication), so no node holds a whole million-row write set
 * at commit, and it still commits whole or not at all, seen by every node
 * at once.  Does nothing on a single server.
 */
int db_big_tx(db_t *db, bool on);
/*
 * The retry rule of db_tx() for work that runs its own transaction (a
 * streamed batch, which begins and commits inside the ingest machinery):
 * runs attempt(db, arg) again, after the same backoff, while it returns
 * ST_ERR_RETRY, up to DB_TX_TRIES times.  attempt must leave no
 * transaction open when it fails.
 */
int db_retry(db_t *db, db_tx_fn attempt, void *arg);
/* Attempts run again by db_tx() and db_retry() since start (for /metrics). */
uint64_t db_tx_retries_total(void);

/*
 * Bulk execution with row-wise array binding (MariaDB Connector/C
 * STMT_ATTR_ROW_SIZE): one prepared statement sent for many rows of a
 * caller-defined struct in one round trip.  Each column names a field by
 * offset and, optionally, a per-row `signed char` indicator field: for a
 * DBB_STR column it must hold DB_IND_NTS (the field is a NUL-terminated
 * char array); for any column DB_IND_NULL sends NULL, DB_IND_NONE the value.
 */
typedef enum db_bulk_type { DBB_I64, DBB_I32, DBB_I8, DBB_STR } db_bulk_type;
#define DB_IND_NTS  (-1)
#define DB_IND_NONE 0
#define DB_IND_NULL 1
typedef struct db_bulk_col {
    db_bulk_type type;
    size_t offset;
    long ind_offset; /* offset of the indicator, or -1 (required for DBB_STR) */
} db_bulk_col_t;
typedef struct db_bulk db_bulk_t;

/* Prepares sql (one `?` per column) for rows of row_size bytes. */
int db_bulk_prepare(db_t *db, const char *sql, const db_bulk_col_t *cols, size_t ncols,
                    size_t row_size, db_bulk_t **out);
/* Sends n rows starting at rows. */
int db_bulk_exec(db_bulk_t *b, const void *rows, size_t n);
void db_bulk_free(db_bulk_t *b);

/*
 * Typed streaming reads for large results: each result column is bound to a
 * field of one caller-owned row struct (integers, or char arrays with a
 * length field for text); on_row(ctx) runs after each row is fetched into
 * it, straight from the binary protocol with no text round trip and no copy
 * of the whole result.  A text value longer than its array is an error.
 */
typedef enum db_out_type { DBO_I64, DBO_I32, DBO_STR } db_out_type;
typedef struct db_out_col {
    db_out_type type;
    size_t offset;      /* the value (DBO_STR: a char array of `size` bytes) */
    size_t size;        /* DBO_STR: the array's size, NUL included */
    long null_offset;   /* a char set to 1 for SQL NULL, or -1 when the column is NOT NULL */
    long length_offset; /* DBO_STR: an unsigned long receiving the length */
} db_out_col_t;

int db_query_rows(db_t *db, const char *sql, const db_val_t *params, size_t n,
                  const db_out_col_t *cols, size_t ncols, void *row, int (*on_row)(void *ctx),
                  void *ctx);

/* Result rows: db_res_next() moves to the next row (first call: first row). */
bool db_res_next(db_res_t *res);
size_t db_res_count(const db_res_t *res);
/* Column value of the current row: NULL for SQL NULL; len may be NULL. */
const char *db_res_str(const db_res_t *res, unsigned col, size_t *len);
int64_t db_res_i64(const db_res_t *res, unsigned col);
bool db_res_is_null(const db_res_t *res, unsigned col);
/* A DOUBLE or DECIMAL column: NAN for SQL NULL or text that is not a number. */
double db_res_double(const db_res_t *res, unsigned col);
/* The number a DOUBLE or DECIMAL fetched as text reads as (db_res_double's
 * reading, for db_query_rows' DBO_STR columns): NAN for NULL or not a number. */
double db_text_double(const char *s);

/*
 * Runs `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` unless the
 * connection is in a transaction already (*began says which), so that the
 * several reads of one computation see one state; the caller ends it
 * (db_rollback) when *began.
 */
int db_snapshot_begin(db_t *db, bool *began);
void db_res_free(db_res_t *res);

/* Database errors since start, for /metrics (thread-safe). */
uint64_t db_errors_total(void);

#endif
