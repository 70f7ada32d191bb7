/*
 * cli.h - the subcommands of the slattest binary (cli_*.c) and what they
 * share: opening the database (starting the embedded one when needed) and
 * reporting errors.  Each command takes the loaded configuration and its own
 * arguments (argv[0] is the command name) and returns the process exit code.
 */
#ifndef SLT_CLI_H
#define SLT_CLI_H

#include "config.h"
#include "db.h"

int cli_db(config_t *cfg, int argc, char **argv);
int cli_migrate(config_t *cfg, int argc, char **argv);
int cli_tenant(config_t *cfg, int argc, char **argv);
int cli_token(config_t *cfg, int argc, char **argv);
int cli_audit(config_t *cfg, int argc, char **argv);
int cli_serve(config_t *cfg, int argc, char **argv);
int cli_routes(config_t *cfg, int argc, char **argv);
int cli_ingest(config_t *cfg, int argc, char **argv);
int cli_check(config_t *cfg, int argc, char **argv);
int cli_verify(config_t *cfg, int argc, char **argv);
int cli_report(config_t *cfg, int argc, char **argv);
int cli_contract(config_t *cfg, int argc, char **argv);
int cli_metrics(config_t *cfg, int argc, char **argv);
int cli_schedule(config_t *cfg, int argc, char **argv);
int cli_user(config_t *cfg, int argc, char **argv);

/*
 * Connects to the configured database; with the embedded default, starts
 * it first if it is not running.  Prints the reason and returns NULL on
 * failure.  The caller closes the connection.
 */
db_t *cli_open_db(const config_t *cfg);
/* The audit actor for command-line actions: "cli:<user>". */
const char *cli_actor(void);
/* True when argv[i] is --help or -h anywhere in the arguments. */
int cli_wants_help(int argc, char **argv);

#endif
