/*
 * config.h - slattest's configuration: the one table of keys (config.c),
 * loaded from an INI file and SLATTEST_SECTION_KEY environment variables.
 *
 * config_load() fills a config_t whose strings it owns; config_free()
 * releases them.  The "${var}" placeholder in any path is replaced by
 * paths.var, so moving the var directory moves every default with it.
 * Load once at start-up, before threads; afterwards the struct is read-only.
 */
#ifndef SLT_CONFIG_H
#define SLT_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

typedef struct config {
    /* [server] */
    char *listen;
    char *tls_cert, *tls_key;
    long long max_body_mb;
    long long max_json_kb;
    long long max_header_kb;
    long long header_timeout_s;
    long long idle_timeout_s;
    long long min_body_rate;
    long long body_rate_window_s;
    long long workers;
    long long max_connections;
    long long shutdown_timeout_s;
    bool metrics_public;
    char *public_url; /* links in e-mails, webhooks, one-time password links */
    /* [database] */
    char *db_host;
    long long db_port;
    char *db_socket, *db_user, *db_password, *db_name;
    bool db_tls;
    bool db_galera;             /* a Galera cluster: causal reads, fragmented big batches */
    long long db_fragment_rows; /* streaming replication fragment size (rows) */
    char *db_tls_ca;
    long long db_connect_timeout_s;
    long long reports_stale_s; /* a running job with an older heartbeat is taken over */
    /* [schedules] [smtp] [webhook] (issue 15, docs/schedules.md) */
    long long sched_interval_s, sched_grace_h, sched_max_attempts, sched_retry_base_s;
    long long sched_pause_after;
    char *smtp_url, *smtp_from, *smtp_user, *smtp_password, *smtp_ca;
    bool smtp_require_tls;
    long long smtp_timeout_s, webhook_timeout_s;
    /* [signing] */
    char *signing_key, *signing_cert, *signing_ca, *signing_retired;
    /* [portal] (docs/portal.md) */
    long long portal_idle_timeout_s; /* a session unused this long ends */
    long long portal_lifetime_s;     /* a session ends this long after its login */
    long long portal_login_delay_after, portal_login_lock_after, portal_login_lock_s;
    long long portal_address_lock_after;
    bool portal_verify_public;        /* the verify page works without logging in */
    char *portal_totp_required_roles; /* roles that must sign in with a TOTP code too */
    /* [paths] */
    char *var;
    char *migrations;
    char *templates;
    /* derived: true when no host or socket was configured */
    bool db_embedded;
} config_t;

/*
 * Loads the configuration: `path` when given (it must exist), else
 * slattest.ini in the working directory, else /etc/slattest/slattest.ini,
 * else defaults only; then the environment.  ST_ERR_CONFIG with a message
 * naming the key on error.
 */
int config_load(const char *path, config_t *cfg, char *err, size_t errlen);
/* Frees the strings of a loaded config. */
void config_free(config_t *cfg);
/* Prints the effective configuration (password masked) as INI text. */
void config_dump(const config_t *cfg, FILE *out);

#endif
