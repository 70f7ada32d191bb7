/* dbsrv.c - the embedded MariaDB server's life cycle (see dbsrv.h). */
#include "dbsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "status.h"

#define START_WAIT_S 120
#define STOP_WAIT_S  120

/* The embedded server's directory: <var>/mariadb, absolute when var exists. */
static void dbsrv_dir(const config_t *cfg, char *out, size_t len)
{
    char abs[PATH_MAX];
    const char *var = realpath(cfg->var, abs) ? abs : cfg->var;
    snprintf(out, len, "%s/mariadb", var);
}

void dbsrv_socket_path(const config_t *cfg, char *out, size_t len)
{
    char dir[PATH_MAX];
    dbsrv_dir(cfg, dir, sizeof dir);
    snprintf(out, len, "%s/mysqld.sock", dir);
}

/* Creates a directory and its parents (mode 0700 for new ones). */
static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return ST_ERR_IO;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return ST_ERR_IO;
    return ST_OK;
}

/* First of the candidate paths that is executable, or NULL. */
static const char *find_program(const char *const *candidates)
{
    for (; *candidates; candidates++)
        if (access(*candidates, X_OK) == 0)
            return *candidates;
    return NULL;
}

/* Reads the pid file; 0 when missing or unreadable. */
static long dbsrv_read_pid(const char *dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/mysqld.pid", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid;
}

/* True when pid is a live mariadbd (guards against a recycled pid). */
static bool pid_is_mariadbd(long pid)
{
    if (pid <= 0 || kill((pid_t)pid, 0) != 0)
        return false;
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true; /* no /proc: trust kill() */
    if (!fgets(comm, sizeof comm, f))
        comm[0] = '\0';
    fclose(f);
    return strncmp(comm, "mariadbd", 8) == 0 || strncmp(comm, "mysqld", 6) == 0;
}

bool dbsrv_running(const config_t *cfg, long *pid)
{
    char dir[PATH_MAX];
    dbsrv_dir(cfg, dir, sizeof dir);
    long p = dbsrv_read_pid(dir);
    bool alive = pid_is_mariadbd(p);
    if (pid)
        *pid = alive ? p : 0;
    return alive;
}

/* Runs argv to completion with output appended to logpath; ST_OK on exit 0. */
static int run_logged(char *const argv[], const char *logpath)
{
    pid_t pid = fork();
    if (pid < 0)
        return ST_ERR_IO;
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ST_OK : ST_ERR_IO;
}

/* Starts argv as a daemon: double fork, new session, never our child. */
static int spawn_detached(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return ST_ERR_IO;
    if (pid == 0) {
        if (setsid() < 0)
            _exit(1);
        pid_t again = fork();
        if (again != 0)
            _exit(again < 0 ? 1 : 0);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ST_OK : ST_ERR_IO;
}

/* Initialises the data directory when it has no system tables yet. */
static int dbsrv_install(const char *dir, char *err, size_t errlen)
{
    char data[PATH_MAX + 8], sys[PATH_MAX + 16], log[PATH_MAX + 16], arg_data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(sys, sizeof sys, "%s/mysql", data);
    if (access(sys, F_OK) == 0)
        return ST_OK;
    static const char *const installers[] = {"/usr/bin/mariadb-install-db",
                                             "/usr/local/bin/mariadb-install-db",
                                             "/usr/bin/mysql_install_db", NULL};
    const char *installer = find_program(installers);
    if (!installer) {
        snprintf(err, errlen, "mariadb-install-db not found: install mariadb-server (make deps)");
        return ST_ERR_CONFIG;
    }
    snprintf(log, sizeof log, "%s/install.log", dir);
    snprintf(arg_data, sizeof arg_data, "--datadir=%s", data);
    char *argv[8];
    int i = 0;
    argv[i++] = (char *)(uintptr_t)installer;
    argv[i++] = "--no-defaults";
    argv[i++] = arg_data;
    argv[i++] = "--auth-root-authentication-method=normal";
    argv[i++] = "--skip-test-db";
    if (geteuid() == 0)
        argv[i++] = "--user=root";
    argv[i] = NULL;
    fprintf(stderr, "db: initialising %s\n", data);
    if (run_logged(argv, log) != ST_OK) {
        snprintf(err, errlen, "mariadb-install-db failed; see %s", log);
        return ST_ERR_IO;
    }
    return ST_OK;
}

/* Starts mariadbd on the private socket with durable, UTC, utf8mb4 settings. */
static int dbsrv_spawn(const char *dir, char *err, size_t errlen)
{
    static const char *const servers[] = {"/usr/sbin/mariadbd", "/usr/bin/mariadbd",
                                          "/usr/local/bin/mariadbd", "/usr/sbin/mysqld", NULL};
    const char *server = find_program(servers);
    if (!server) {
        snprintf(err, errlen, "mariadbd not found: install mariadb-server (make deps)");
        return ST_ERR_CONFIG;
    }
    char a_data[PATH_MAX + 16], a_sock[PATH_MAX + 16], a_pid[PATH_MAX + 16], a_log[PATH_MAX + 16];
    char a_tmp[PATH_MAX + 16];
    /* Its own temporary directory: a cleaner of /tmp must not pull the
     * files of an open temporary table from under a running batch. */
    snprintf(a_tmp, sizeof a_tmp, "%s/tmp", dir);
    if (mkdir(a_tmp, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", a_tmp, strerror(errno));
        return ST_ERR_IO;
    }
    snprintf(a_tmp, sizeof a_tmp, "--tmpdir=%s/tmp", dir);
    snprintf(a_data, sizeof a_data, "--datadir=%s/data", dir);
    snprintf(a_sock, sizeof a_sock, "--socket=%s/mysqld.sock", dir);
    snprintf(a_pid, sizeof a_pid, "--pid-file=%s/mysqld.pid", dir);
    snprintf(a_log, sizeof a_log, "--log-error=%s/error.log", dir);
    char *argv[24];
    int i = 0;
    argv[i++] = (char *)(uintptr_t)server;
    argv[i++] = "--no-defaults";
    argv[i++] = a_data;
    argv[i++] = a_sock;
    argv[i++] = a_pid;
    argv[i++] = a_tmp;
    argv[i++] = a_log;
    argv[i++] = "--skip-networking";
    argv[i++] = "--skip-name-resolve";
    argv[i++] = "--character-set-server=utf8mb4";
    argv[i++] = "--collation-server=utf8mb4_bin";
    argv[i++] = "--default-time-zone=+00:00";
    argv[i++] = "--innodb-buffer-pool-size=512M";
    argv[i++] = "--innodb-log-file-size=256M";
    argv[i++] = "--innodb-flush-log-at-trx-commit=1"; /* an acknowledged commit survives a crash */
    argv[i++] = "--max-allowed-packet=256M";
    argv[i++] = "--local-infile=1"; /* for bench/ baselines only: our clients never enable it */
    if (geteuid() == 0)
        argv[i++] = "--user=root";
    argv[i] = NULL;
    if (spawn_detached(argv) != ST_OK) {
        snprintf(err, errlen, "could not start %s", server);
        return ST_ERR_IO;
    }
    return ST_OK;
}

/* True when the configured database name is a plain identifier. */
static bool db_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* Waits until the server accepts a connection, then creates the database. */
static int dbsrv_wait_and_create(const config_t *cfg, const char *dir, char *err, size_t errlen)
{
    db_t *db = NULL;
    for (int tries = 0; tries < START_WAIT_S * 10; tries++) {
        char e[256];
        if (db_connect(cfg, false, &db, e, sizeof e) == ST_OK)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!db) {
        snprintf(err, errlen, "MariaDB did not answer within %d s; see %s/error.log", START_WAIT_S,
                 dir);
        return ST_ERR_TIMEOUT;
    }
    if (!db_name_ok(cfg->db_name)) {
        db_close(db);
        snprintf(err, errlen, "[database] name '%s': use letters, digits and _", cfg->db_name);
        return ST_ERR_CONFIG;
    }
    /* Most starts find the database there: asking first spares every command the
     * schema lock CREATE DATABASE takes, which would queue it behind any session
     * holding a table lock or running a long DDL. */
    db_res_t *res = NULL;
    db_val_t name[] = {db_str(cfg->db_name)};
    bool exists = db_exec(db, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                          name, 1, &res) == ST_OK &&
                  db_res_next(res);
    db_res_free(res);
    if (exists) {
        db_close(db);
        return ST_OK;
    }
    /* DDL cannot take parameters; the name was checked to be a plain identifier above. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
             cfg->db_name);
    int rc = db_run_static(db, sql);
    if (rc != ST_OK)
        snprintf(err, errlen, "creating database %s: %s", cfg->db_name, db_error(db));
    db_close(db);
    return rc;
}

int dbsrv_start(const config_t *cfg, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (mkdir_p(cfg->var) != ST_OK) {
        snprintf(err, errlen, "cannot create %s: %s", cfg->var, strerror(errno));
        return ST_ERR_IO;
    }
    dbsrv_dir(cfg, dir, sizeof dir);
    if (strlen(dir) + sizeof "/mysqld.sock" > 107) {
        snprintf(err, errlen, "%s is too long a path for a Unix socket; use a shorter [paths] var",
                 dir);
        return ST_ERR_CONFIG;
    }
    if (mkdir_p(dir) != ST_OK) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return ST_ERR_IO;
    }
    if (!dbsrv_running(cfg, NULL)) {
        int rc = dbsrv_install(dir, err, errlen);
        if (rc != ST_OK)
            return rc;
        fprintf(stderr, "db: starting MariaDB on %s/mysqld.sock\n", dir);
        rc = dbsrv_spawn(dir, err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    return dbsrv_wait_and_create(cfg, dir, err, errlen);
}

int dbsrv_stop(const config_t *cfg, char *err, size_t errlen)
{
    long pid = 0;
    if (!dbsrv_running(cfg, &pid))
        return ST_OK;
    if (kill((pid_t)pid, SIGTERM) != 0) {
        snprintf(err, errlen, "cannot signal MariaDB (pid %ld): %s", pid, strerror(errno));
        return ST_ERR_IO;
    }
    for (int i = 0; i < STOP_WAIT_S * 10; i++) {
        if (kill((pid_t)pid, 0) != 0)
            return ST_OK;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    snprintf(err, errlen, "MariaDB (pid %ld) did not stop within %d s", pid, STOP_WAIT_S);
    return ST_ERR_TIMEOUT;
}
