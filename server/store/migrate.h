/*
 * migrate.h - schema migrations: migrations/NNNN_name.sql applied in order,
 * each once, recorded in schema_migrations with its SHA-256.
 *
 * A file that was applied and has since changed is refused (write a new
 * migration instead); so is a gap or a duplicate number.  A named lock
 * keeps two instances from migrating at once.  Statements inside one file
 * run as one multi-statement text; MariaDB commits DDL implicitly, so a
 * file should hold one logical step.  Runs on the caller's thread with the
 * caller's connection.
 */
#ifndef SLT_MIGRATE_H
#define SLT_MIGRATE_H

#include <stdio.h>

#include "db.h"

/* Applies pending migrations from dir, printing each to out. */
int migrate_apply(db_t *db, const char *dir, FILE *out, char *err, size_t errlen);
/* Prints every migration with its state: applied, pending or CHANGED. */
int migrate_status(db_t *db, const char *dir, FILE *out, char *err, size_t errlen);

#endif
