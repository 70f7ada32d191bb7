/* db.c - MariaDB connection and prepared statements (see db.h). */
#include "db.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbsrv.h"
#include "status.h"
#include "xmem.h"

/* A db_file() parameter goes to the server in pieces of this size. */
#define DB_FILE_PIECE ((size_t)1 << 20)

struct db {
    MYSQL *my;
    bool broken;
    bool disk_full; /* the last error was the database's disk full */
    unsigned last_errno;
    char error[512];
    bool galera;             /* the server is a Galera node ([database] galera) */
    long long fragment_rows; /* its streaming replication fragment for big transactions */
    uint64_t affected;
    uint64_t insert_id;
};

/* A fully read result: values live in one arena, indexed per cell. */
struct db_res {
    unsigned ncols;
    size_t nrows;
    size_t cur; /* 1-based: 0 before the first db_res_next() */
    char *arena;
    size_t *off; /* nrows*ncols offsets into arena */
    size_t *len; /* lengths; SIZE_MAX marks SQL NULL */
};

static atomic_uint_fast64_t db_error_count;
static atomic_uint_fast64_t db_tx_retry_count;

uint64_t db_errors_total(void)
{
    return atomic_load(&db_error_count);
}

uint64_t db_tx_retries_total(void)
{
    return atomic_load(&db_tx_retry_count);
}

int db_library_init(void)
{
    return mysql_library_init(0, NULL, NULL) == 0 ? ST_OK : ST_ERR_DB;
}

void db_library_end(void)
{
    mysql_library_end();
}

void db_thread_init(void)
{
    mysql_thread_init();
}

void db_thread_end(void)
{
    mysql_thread_end();
}

/* True for the client errors that mean the connection itself is gone. */
static bool db_errno_is_connection(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
           e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
           e == ER_SERVER_SHUTDOWN || e == CR_COMMANDS_OUT_OF_SYNC;
}

/*
 * True for the errors after which the whole transaction may simply run
 * again: a deadlock, which on a Galera cluster is also how a transaction
 * that lost certification to a conflicting one on another node fails, and
 * "WSREP has not yet prepared node for application use" (a node that is
 * joining or lost its quorum; ER_UNKNOWN_COM_ERROR is that error's number).
 */
static bool db_errno_is_retryable(unsigned e)
{
    return e == ER_LOCK_DEADLOCK || e == ER_UNKNOWN_COM_ERROR;
}

/*
 * True for the errors of a database whose disk (or tablespace) is full:
 * 1021 "Disk full", 1114 "The table is full" (InnoDB cannot extend a
 * tablespace), 1030 / 1026 / 1878 carrying errno 28 (ENOSPC) from the
 * storage engine, a file write or a temporary file.
 */
static bool db_errno_is_disk_full(unsigned e, const char *msg)
{
    if (e == ER_DISK_FULL || e == ER_RECORD_FILE_FULL)
        return true;
    if (e == ER_GET_ERRNO || e == ER_ERROR_ON_WRITE || e == ER_TEMP_FILE_WRITE_FAILURE)
        return msg && (strstr(msg, "errno: 28") || strstr(msg, "error 28") ||
                       strstr(msg, "No space left"));
    return false;
}

/*
 * Records an error from the connection or a statement and maps it to a
 * status.  e == 0 means the client library gave no error number, which
 * happens when the server vanished in the middle of reading a result: that
 * is a lost connection, and the message says so rather than "error 0".
 */
static int db_fail(db_t *db, unsigned e, const char *msg)
{
    atomic_fetch_add(&db_error_count, 1);
    db->disk_full = false;
    if (e == 0) {
        db->last_errno = CR_SERVER_LOST;
        snprintf(db->error, sizeof db->error,
                 "lost the connection to MariaDB: the server closed it or went away without an "
                 "error (stopped or killed?)");
        db->broken = true;
        return ST_ERR_UNAVAILABLE;
    }
    db->last_errno = e;
    if (db_errno_is_connection(e)) {
        snprintf(db->error, sizeof db->error,
                 "lost the connection to MariaDB (MariaDB error %u: %s)", e, msg ? msg : "");
        db->broken = true;
        return ST_ERR_UNAVAILABLE;
    }
    if (db_errno_is_disk_full(e, msg)) {
        snprintf(db->error, sizeof db->error, "the database's disk is full (MariaDB error %u: %s)",
                 e, msg ? msg : "");
        db->disk_full = true;
        return ST_ERR_DB;
    }
    snprintf(db->error, sizeof db->error, "MariaDB error %u: %s", e, msg ? msg : "");
    if (e == ER_DUP_ENTRY || e == ER_DUP_KEY)
        return ST_ERR_CONFLICT;
    if (db_errno_is_retryable(e))
        return ST_ERR_RETRY;
    return ST_ERR_DB;
}

/*
 * db_fail() for a failed statement call.  Connector/C leaves a statement's
 * own error empty when the connection broke while it read a result
 * (mysql_stmt_store_result(), an unbuffered mysql_stmt_fetch()): the error
 * is then on the connection, so take it from there.
 */
static int db_stmt_fail(db_t *db, MYSQL_STMT *st)
{
    if (st && mysql_stmt_errno(st) != 0)
        return db_fail(db, mysql_stmt_errno(st), mysql_stmt_error(st));
    return db_fail(db, mysql_errno(db->my), mysql_error(db->my));
}

/* A new client handle with slattest's session settings (not yet connected). */
static MYSQL *db_handle(const config_t *cfg)
{
    MYSQL *my = mysql_init(NULL);
    if (!my)
        return NULL;
    unsigned int timeout = (unsigned int)cfg->db_connect_timeout_s;
    unsigned int rw_timeout = 3600;
    my_bool off = 0, on = 1;
    mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(my, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_optionsv(my, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_optionsv(my, MYSQL_OPT_RECONNECT, &off);
    mysql_optionsv(my, MYSQL_OPT_LOCAL_INFILE, &off);
    mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* On a Galera cluster every read waits until this node has applied what
     * the cluster committed before it (causal reads): a client that got a
     * receipt from one instance sees its batch through any other. */
    mysql_optionsv(my, MYSQL_INIT_COMMAND,
                   cfg->db_galera ? "SET time_zone = '+00:00', wsrep_sync_wait = 1, sql_mode = "
                                    "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                                    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
                                  : "SET time_zone = '+00:00', sql_mode = "
                                    "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                                    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    if (cfg->db_tls) {
        mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        if (cfg->db_tls_ca[0])
            mysql_optionsv(my, MYSQL_OPT_SSL_CA, cfg->db_tls_ca);
    }
    return my;
}

/*
 * The next "host[:port]" of a comma-separated [database] host list into
 * host (NUL-ended) and *port (the configured port when none is given);
 * returns the rest of the list, or NULL when there is none.
 */
static const char *db_next_host(const char *list, char *host, size_t len, unsigned *port)
{
    size_t n = strcspn(list, ",");
    snprintf(host, len, "%.*s", (int)n, list);
    char *colon = strrchr(host, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        *port = (unsigned)strtoul(colon + 1, NULL, 10);
        *colon = '\0';
    }
    return list[n] ? list + n + 1 : NULL;
}

/*
 * Connects to the embedded server's socket, or to [database] host: one
 * host, or a list "a[:port],b[:port],..." tried in order (an instance of a
 * cluster lists its own node first, then the others, so it keeps serving
 * when its node is lost).
 */
int db_connect(const config_t *cfg, bool with_database, db_t **out, char *err, size_t errlen)
{
    db_t *db = xcalloc(1, sizeof *db);
    char sock[1024];
    const char *socket = cfg->db_socket[0] ? cfg->db_socket : NULL;
    const char *user = cfg->db_user[0] ? cfg->db_user : NULL;
    const char *list = cfg->db_host[0] ? cfg->db_host : NULL;
    if (cfg->db_embedded) {
        dbsrv_socket_path(cfg, sock, sizeof sock);
        socket = sock;
        list = "localhost";
        if (!user)
            user = "root";
    }
    db->galera = cfg->db_galera;
    db->fragment_rows = cfg->db_fragment_rows;
    do {
        char host[256] = "";
        unsigned port = (unsigned)cfg->db_port;
        list = list ? db_next_host(list, host, sizeof host, &port) : NULL;
        db->my = db_handle(cfg);
        if (!db->my) {
            snprintf(err, errlen, "mysql_init failed");
            goto fail;
        }
        if (mysql_real_connect(
                db->my, host[0] ? host : NULL, user, cfg->db_password[0] ? cfg->db_password : NULL,
                with_database ? cfg->db_name : NULL, port, socket, CLIENT_FOUND_ROWS)) {
            *out = db;
            return ST_OK;
        }
        snprintf(err, errlen, "cannot connect to MariaDB (%s): %s",
                 socket ? socket : (host[0] ? host : "?"), mysql_error(db->my));
        atomic_fetch_add(&db_error_count, 1);
        mysql_close(db->my);
        db->my = NULL;
    } while (list);
fail:
    db_close(db);
    return ST_ERR_UNAVAILABLE;
}

void db_close(db_t *db)
{
    if (!db)
        return;
    if (db->my)
        mysql_close(db->my);
    free(db);
}

bool db_broken(const db_t *db)
{
    return db->broken;
}

const char *db_error(const db_t *db)
{
    return db->error;
}

unsigned db_errno(const db_t *db)
{
    return db->last_errno;
}

bool db_disk_full(const db_t *db)
{
    return db && db->disk_full;
}

int db_ping(db_t *db)
{
    if (mysql_ping(db->my) != 0) {
        db_fail(db, mysql_errno(db->my), mysql_error(db->my));
        db->broken = true;
        return ST_ERR_UNAVAILABLE;
    }
    return ST_OK;
}

/* Fills a MYSQL_BIND for one parameter value. */
static void db_bind_param(MYSQL_BIND *b, const db_val_t *v, unsigned long *len)
{
    memset(b, 0, sizeof *b);
    switch (v->type) {
    case DBT_NULL:
        b->buffer_type = MYSQL_TYPE_NULL;
        break;
    case DBT_STR:
    case DBT_BLOB:
        b->buffer_type = v->type == DBT_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
        b->buffer = (void *)(uintptr_t)v->p;
        *len = v->len;
        b->buffer_length = v->len;
        b->length = len;
        break;
    case DBT_I64:
    case DBT_U64:
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = (void *)(uintptr_t)&v->i;
        b->is_unsigned = v->type == DBT_U64;
        break;
    case DBT_DOUBLE:
        b->buffer_type = MYSQL_TYPE_DOUBLE;
        b->buffer = (void *)(uintptr_t)&v->d;
        break;
    case DBT_FILE:
        /* No buffer: db_send_files() sends the value before the execute. */
        b->buffer_type = MYSQL_TYPE_LONG_BLOB;
        *len = 0;
        b->length = len;
        break;
    }
}

/*
 * Sends every db_file() parameter of a bound statement in DB_FILE_PIECE
 * pieces (mysql_stmt_send_long_data: the server appends them to the
 * parameter's value; the execute then ignores its bind buffer).  The file
 * is read from offset 0 with pread(), whatever the descriptor's position,
 * so each execution sends the whole value.  The server answers nothing to
 * a piece: an error (the value over its max_allowed_packet) comes with the
 * execute.  An empty file sends one empty piece, which makes the value ''.
 */
static int db_send_files(db_t *db, MYSQL_STMT *st, const db_val_t *params, size_t n)
{
    char *piece = NULL;
    int rc = ST_OK;
    for (size_t i = 0; i < n && rc == ST_OK; i++) {
        if (params[i].type != DBT_FILE)
            continue;
        if (!piece)
            piece = xmalloc(DB_FILE_PIECE);
        uint64_t len = params[i].len, off = 0;
        do {
            size_t want = len - off < DB_FILE_PIECE ? (size_t)(len - off) : DB_FILE_PIECE;
            ssize_t got = want ? pread((int)params[i].i, piece, want, (off_t)off) : 0;
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0 || (want > 0 && got == 0)) {
                snprintf(db->error, sizeof db->error,
                         "parameter %zu: reading its file at byte %llu of %llu: %s", i + 1,
                         (unsigned long long)off, (unsigned long long)len,
                         got < 0 ? strerror(errno) : "the file is shorter");
                rc = ST_ERR_IO;
                break;
            }
            if (mysql_stmt_send_long_data(st, (unsigned)i, piece, (unsigned long)got) != 0) {
                rc = db_stmt_fail(db, st);
                break;
            }
            off += (uint64_t)got;
        } while (off < len);
    }
    free(piece);
    return rc;
}

/* Reads every row of an executed statement into a new db_res_t. */
static int db_read_result(db_t *db, MYSQL_STMT *st, MYSQL_RES *meta, db_res_t **out)
{
    int rc = ST_ERR_DB;
    unsigned ncols = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND *binds = xcalloc(ncols, sizeof *binds);
    unsigned long *lens = xcalloc(ncols, sizeof *lens);
    my_bool *nulls = xcalloc(ncols, sizeof *nulls);
    char **bufs = xcalloc(ncols, sizeof *bufs);
    db_res_t *res = xcalloc(1, sizeof *res);
    size_t arena_cap = 0, arena_len = 0;

    res->ncols = ncols;
    res->nrows = (size_t)mysql_stmt_num_rows(st);
    res->off = xcalloc(res->nrows * ncols + 1, sizeof *res->off);
    res->len = xcalloc(res->nrows * ncols + 1, sizeof *res->len);
    for (unsigned c = 0; c < ncols; c++) {
        size_t cap = fields[c].max_length > 64 ? fields[c].max_length : 64;
        bufs[c] = xmalloc(cap + 1);
        binds[c].buffer_type = MYSQL_TYPE_STRING;
        binds[c].buffer = bufs[c];
        binds[c].buffer_length = cap + 1;
        binds[c].length = &lens[c];
        binds[c].is_null = &nulls[c];
    }
    if (mysql_stmt_bind_result(st, binds)) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    for (size_t r = 0; r < res->nrows; r++) {
        int f = mysql_stmt_fetch(st);
        if (f == 1 || f == MYSQL_NO_DATA) {
            rc = db_stmt_fail(db, st);
            goto fail;
        }
        for (unsigned c = 0; c < ncols; c++) {
            size_t i = r * ncols + c;
            if (nulls[c]) {
                res->len[i] = SIZE_MAX;
                continue;
            }
            size_t n = lens[c];
            if (n >= binds[c].buffer_length) { /* MYSQL_DATA_TRUNCATED: cannot happen */
                rc = ST_ERR_INTERNAL;
                goto fail;
            }
            if (arena_len + n + 1 > arena_cap) {
                arena_cap = (arena_len + n + 1) * 2;
                res->arena = xrealloc(res->arena, arena_cap);
            }
            memcpy(res->arena + arena_len, bufs[c], n);
            res->arena[arena_len + n] = '\0';
            res->off[i] = arena_len;
            res->len[i] = n;
            arena_len += n + 1;
        }
    }
    *out = res;
    res = NULL;
    rc = ST_OK;
fail:
    for (unsigned c = 0; c < ncols; c++)
        free(bufs[c]);
    free(bufs);
    free(nulls);
    free(lens);
    free(binds);
    db_res_free(res);
    return rc;
}

int db_exec(db_t *db, const char *sql, const db_val_t *params, size_t n, db_res_t **res)
{
    int rc;
    MYSQL_RES *meta = NULL;
    MYSQL_BIND *binds = n ? xcalloc(n, sizeof *binds) : NULL;
    unsigned long *lens = n ? xcalloc(n, sizeof *lens) : NULL;
    MYSQL_STMT *st = mysql_stmt_init(db->my);

    if (res)
        *res = NULL;
    if (!st) {
        rc = db_fail(db, mysql_errno(db->my), mysql_error(db->my));
        goto fail;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    if (mysql_stmt_param_count(st) != n) {
        snprintf(db->error, sizeof db->error, "statement has %lu parameters, %zu given",
                 mysql_stmt_param_count(st), n);
        rc = ST_ERR_INTERNAL;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        db_bind_param(&binds[i], &params[i], &lens[i]);
    if (n && mysql_stmt_bind_param(st, binds)) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    if ((rc = db_send_files(db, st, params, n)) != ST_OK)
        goto fail;
    if (mysql_stmt_execute(st) != 0) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    db->affected = mysql_stmt_affected_rows(st);
    db->insert_id = mysql_stmt_insert_id(st);
    meta = mysql_stmt_result_metadata(st);
    if (meta) {
        my_bool update_max = 1;
        mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
        if (mysql_stmt_store_result(st) != 0) {
            rc = db_stmt_fail(db, st);
            goto fail;
        }
        if (res) {
            rc = db_read_result(db, st, meta, res);
            if (rc != ST_OK)
                goto fail;
        }
    }
    rc = ST_OK;
fail:
    if (meta)
        mysql_free_result(meta);
    if (st)
        mysql_stmt_close(st);
    free(lens);
    free(binds);
    return rc;
}

uint64_t db_affected(const db_t *db)
{
    return db->affected;
}

uint64_t db_insert_id(const db_t *db)
{
    return db->insert_id;
}

int db_run_static(db_t *db, const char *sql)
{
    if (mysql_real_query(db->my, sql, (unsigned long)strlen(sql)) != 0)
        return db_fail(db, mysql_errno(db->my), mysql_error(db->my));
    /* Drain every result of a multi-statement text so the connection stays usable. */
    for (;;) {
        MYSQL_RES *r = mysql_store_result(db->my);
        if (r)
            mysql_free_result(r);
        else if (mysql_field_count(db->my) != 0)
            return db_fail(db, mysql_errno(db->my), mysql_error(db->my));
        int next = mysql_next_result(db->my);
        if (next == -1)
            break;
        if (next > 0)
            return db_fail(db, mysql_errno(db->my), mysql_error(db->my));
    }
    return ST_OK;
}

int db_allow_multi(db_t *db, bool on)
{
    if (mysql_set_server_option(db->my, on ? MYSQL_OPTION_MULTI_STATEMENTS_ON
                                           : MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0)
        return db_fail(db, mysql_errno(db->my), mysql_error(db->my));
    return ST_OK;
}

int db_begin(db_t *db)
{
    return db_run_static(db, "START TRANSACTION");
}

int db_commit(db_t *db)
{
    return db_run_static(db, "COMMIT");
}

void db_rollback(db_t *db)
{
    if (db && db->my && !db->broken)
        mysql_rollback(db->my);
}

int db_big_tx(db_t *db, bool on)
{
    if (!db->galera)
        return ST_OK;
    db_val_t v[] = {db_i64(on ? db->fragment_rows : 0)};
    int rc = db_exec(db, "SET SESSION wsrep_trx_fragment_unit = 'rows'", NULL, 0, NULL);
    return rc == ST_OK ? db_exec(db, "SET SESSION wsrep_trx_fragment_size = ?", v, 1, NULL) : rc;
}

/* Sleeps before attempt `attempt` (2, 3, ...): 10 ms doubling to 640 ms,
 * with up to half again at random so that two losers do not meet again. */
static void db_tx_backoff(int attempt)
{
    long ms = 10L << (attempt - 2 < 6 ? attempt - 2 : 6);
    unsigned seed = (unsigned)((uintptr_t)&attempt ^ (uintptr_t)time(NULL));
    ms += (long)(rand_r(&seed) % (unsigned)(ms / 2 + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int db_retry(db_t *db, db_tx_fn attempt, void *arg)
{
    int rc = ST_OK;
    for (int n = 1; n <= DB_TX_TRIES; n++) {
        if (n > 1) {
            atomic_fetch_add(&db_tx_retry_count, 1);
            db_tx_backoff(n);
        }
        rc = attempt(db, arg);
        if (rc != ST_ERR_RETRY)
            return rc;
    }
    return rc;
}

/* What db_tx() runs through db_retry(). */
typedef struct db_tx_call {
    db_tx_fn fn;
    void *arg;
} db_tx_call_t;

/* One attempt of db_tx(): the caller's function between BEGIN and COMMIT. */
static int db_tx_attempt(db_t *db, void *arg)
{
    const db_tx_call_t *call = arg;
    int rc = db_begin(db);
    if (rc == ST_OK)
        rc = call->fn(db, call->arg);
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

int db_tx(db_t *db, db_tx_fn fn, void *arg)
{
    db_tx_call_t call = {fn, arg};
    return db_retry(db, db_tx_attempt, &call);
}

bool db_res_next(db_res_t *res)
{
    if (!res || res->cur >= res->nrows)
        return false;
    res->cur++;
    return true;
}

size_t db_res_count(const db_res_t *res)
{
    return res ? res->nrows : 0;
}

const char *db_res_str(const db_res_t *res, unsigned col, size_t *len)
{
    if (!res || res->cur == 0 || col >= res->ncols)
        return NULL;
    size_t i = (res->cur - 1) * res->ncols + col;
    if (res->len[i] == SIZE_MAX)
        return NULL;
    if (len)
        *len = res->len[i];
    return res->arena + res->off[i];
}

bool db_res_is_null(const db_res_t *res, unsigned col)
{
    return db_res_str(res, col, NULL) == NULL;
}

int64_t db_res_i64(const db_res_t *res, unsigned col)
{
    const char *s = db_res_str(res, col, NULL);
    return s ? strtoll(s, NULL, 10) : 0;
}

double db_res_double(const db_res_t *res, unsigned col)
{
    return db_text_double(db_res_str(res, col, NULL));
}

double db_text_double(const char *s)
{
    if (!s)
        return NAN;
    char *end = NULL;
    double v = strtod(s, &end);
    return end != s && *end == '\0' ? v : NAN;
}

int db_snapshot_begin(db_t *db, bool *began)
{
    db_res_t *res = NULL;
    *began = false;
    int rc = db_exec(db, "SELECT @@in_transaction", NULL, 0, &res);
    if (rc == ST_OK && db_res_next(res) && db_res_i64(res, 0) == 0) {
        rc = db_run_static(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        *began = rc == ST_OK;
    }
    db_res_free(res);
    return rc;
}

void db_res_free(db_res_t *res)
{
    if (!res)
        return;
    free(res->arena);
    free(res->off);
    free(res->len);
    free(res);
}

struct db_bulk {
    db_t *db;
    MYSQL_STMT *st;
    MYSQL_BIND *binds;
    db_bulk_col_t *cols;
    size_t ncols, row_size;
};

int db_bulk_prepare(db_t *db, const char *sql, const db_bulk_col_t *cols, size_t ncols,
                    size_t row_size, db_bulk_t **out)
{
    db_bulk_t *b = xcalloc(1, sizeof *b);
    b->db = db;
    b->ncols = ncols;
    b->row_size = row_size;
    b->cols = xmemdup(cols, ncols * sizeof *cols);
    b->binds = xcalloc(ncols, sizeof *b->binds);
    b->st = mysql_stmt_init(db->my);
    int rc;
    if (!b->st) {
        rc = db_fail(db, mysql_errno(db->my), mysql_error(db->my));
        goto fail;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (cols[i].type == DBB_STR && cols[i].ind_offset < 0) {
            snprintf(db->error, sizeof db->error, "bulk column %zu: strings need an indicator", i);
            rc = ST_ERR_INTERNAL;
            goto fail;
        }
    }
    if (mysql_stmt_prepare(b->st, sql, (unsigned long)strlen(sql)) != 0) {
        rc = db_stmt_fail(db, b->st);
        goto fail;
    }
    if (mysql_stmt_param_count(b->st) != ncols) {
        snprintf(db->error, sizeof db->error, "bulk statement has %lu parameters, %zu columns",
                 mysql_stmt_param_count(b->st), ncols);
        rc = ST_ERR_INTERNAL;
        goto fail;
    }
    *out = b;
    return ST_OK;
fail:
    db_bulk_free(b);
    return rc;
}

int db_bulk_exec(db_bulk_t *b, const void *rows, size_t n)
{
    if (n == 0)
        return ST_OK;
    /* Binds point into the first row; the connector strides by row_size. */
    char *base = (char *)(uintptr_t)rows;
    for (size_t i = 0; i < b->ncols; i++) {
        MYSQL_BIND *m = &b->binds[i];
        const db_bulk_col_t *c = &b->cols[i];
        memset(m, 0, sizeof *m);
        m->buffer = base + c->offset;
        m->buffer_type = c->type == DBB_I64   ? MYSQL_TYPE_LONGLONG
                         : c->type == DBB_I32 ? MYSQL_TYPE_LONG
                         : c->type == DBB_I8  ? MYSQL_TYPE_TINY
                                              : MYSQL_TYPE_STRING;
        if (c->ind_offset >= 0)
            m->u.indicator = base + c->ind_offset;
    }
    unsigned int array_size = (unsigned int)n;
    size_t row_size = b->row_size;
    if (mysql_stmt_attr_set(b->st, STMT_ATTR_ARRAY_SIZE, &array_size) ||
        mysql_stmt_attr_set(b->st, STMT_ATTR_ROW_SIZE, &row_size) ||
        mysql_stmt_bind_param(b->st, b->binds) || mysql_stmt_execute(b->st))
        return db_stmt_fail(b->db, b->st);
    b->db->affected = mysql_stmt_affected_rows(b->st);
    return ST_OK;
}

void db_bulk_free(db_bulk_t *b)
{
    if (!b)
        return;
    if (b->st)
        mysql_stmt_close(b->st);
    free(b->binds);
    free(b->cols);
    free(b);
}

int db_query_rows(db_t *db, const char *sql, const db_val_t *params, size_t n,
                  const db_out_col_t *cols, size_t ncols, void *row, int (*on_row)(void *ctx),
                  void *ctx)
{
    int rc;
    MYSQL_BIND *in = n ? xcalloc(n, sizeof *in) : NULL;
    unsigned long *lens = n ? xcalloc(n, sizeof *lens) : NULL;
    MYSQL_BIND *out = xcalloc(ncols, sizeof *out);
    my_bool *nulls = xcalloc(ncols, sizeof *nulls);
    my_bool *errors = xcalloc(ncols, sizeof *errors);
    MYSQL_STMT *st = mysql_stmt_init(db->my);
    char *base = row;
    if (!st) {
        rc = db_fail(db, mysql_errno(db->my), mysql_error(db->my));
        goto fail;
    }
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    if (mysql_stmt_param_count(st) != n || mysql_stmt_field_count(st) != ncols) {
        snprintf(db->error, sizeof db->error, "statement shape differs from its bindings");
        rc = ST_ERR_INTERNAL;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        db_bind_param(&in[i], &params[i], &lens[i]);
    for (size_t c = 0; c < ncols; c++) {
        out[c].buffer = base + cols[c].offset;
        out[c].is_null = &nulls[c];
        out[c].error = &errors[c];
        switch (cols[c].type) {
        case DBO_I64:
            out[c].buffer_type = MYSQL_TYPE_LONGLONG;
            break;
        case DBO_I32:
            out[c].buffer_type = MYSQL_TYPE_LONG;
            break;
        case DBO_STR:
            out[c].buffer_type = MYSQL_TYPE_STRING;
            out[c].buffer_length = (unsigned long)cols[c].size;
            out[c].length = (unsigned long *)(void *)(base + cols[c].length_offset);
            break;
        }
    }
    if (n && mysql_stmt_bind_param(st, in)) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    if ((rc = db_send_files(db, st, params, n)) != ST_OK)
        goto fail;
    if (mysql_stmt_execute(st) || mysql_stmt_bind_result(st, out)) {
        rc = db_stmt_fail(db, st);
        goto fail;
    }
    rc = ST_OK;
    for (;;) {
        int f = mysql_stmt_fetch(st);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            rc = db_stmt_fail(db, st);
            break;
        }
        if (f == MYSQL_DATA_TRUNCATED) {
            snprintf(db->error, sizeof db->error, "a text value is longer than its field");
            rc = ST_ERR_INTERNAL;
            break;
        }
        for (size_t c = 0; c < ncols; c++) {
            if (cols[c].null_offset >= 0)
                base[cols[c].null_offset] = nulls[c] ? 1 : 0;
            if (cols[c].type == DBO_STR) {
                unsigned long len = *(unsigned long *)(void *)(base + cols[c].length_offset);
                base[cols[c].offset + (nulls[c] || len >= cols[c].size ? 0 : len)] = '\0';
            }
        }
        if ((rc = on_row(ctx)) != ST_OK)
            break;
    }
fail:
    if (st)
        mysql_stmt_close(st); /* also discards unread rows */
    free(errors);
    free(nulls);
    free(out);
    free(lens);
    free(in);
    return rc;
}
