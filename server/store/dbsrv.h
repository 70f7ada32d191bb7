/*
 * dbsrv.h - the embedded default database: a private MariaDB server whose
 * data lives under <var>/mariadb/, listening only on a Unix socket there.
 *
 * dbsrv_start() initialises the data directory on first use
 * (mariadb-install-db), starts mariadbd detached from the caller (it keeps
 * running after the command that started it exits), waits until it answers
 * and creates the configured database.  dbsrv_stop() shuts it down cleanly
 * and waits for it.  Messages go to stderr; the server's own log is
 * <var>/mariadb/error.log.  Call from one thread (the CLI or start-up).
 */
#ifndef SLT_DBSRV_H
#define SLT_DBSRV_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Writes the embedded server's socket path into out. */
void dbsrv_socket_path(const config_t *cfg, char *out, size_t len);
/* Starts the server if it is not running; ST_OK once it answers. */
int dbsrv_start(const config_t *cfg, char *err, size_t errlen);
/* Stops the server if it is running; ST_OK once it has exited. */
int dbsrv_stop(const config_t *cfg, char *err, size_t errlen);
/* True when the server process is alive; *pid gets its pid (0 if none). */
bool dbsrv_running(const config_t *cfg, long *pid);

#endif
