/* config.c - the table of every configuration key (see config.h). */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "status.h"
#include "xmem.h"

#define S(sec, key, field, def, help)                                                              \
    {                                                                                              \
        sec, key, CFG_STRING, def, 0, 0, offsetof(config_t, field), help, false                    \
    }
#define I(sec, key, field, def, lo, hi, help)                                                      \
    {                                                                                              \
        sec, key, CFG_INT, def, lo, hi, offsetof(config_t, field), help, false                     \
    }
#define B(sec, key, field, def, help)                                                              \
    {                                                                                              \
        sec, key, CFG_BOOL, def, 0, 0, offsetof(config_t, field), help, false                      \
    }

static const cfg_option_t config_table[] = {
    S("server", "listen", listen, "127.0.0.1:8443",
      "address:port to serve HTTPS on (port 0: any free port)"),
    S("server", "tls_cert", tls_cert, "${var}/certs/server.pem", "server certificate chain (PEM)"),
    S("server", "tls_key", tls_key, "${var}/certs/server.key", "server private key (PEM)"),
    I("server", "max_body_mb", max_body_mb, "512", 1, 65536,
      "largest upload accepted, in MiB (413 above)"),
    I("server", "max_json_kb", max_json_kb, "1024", 1, 65536, "largest JSON request body, in KiB"),
    I("server", "max_header_kb", max_header_kb, "16", 1, 1024,
      "largest request line plus headers, in KiB (431 above)"),
    I("server", "header_timeout_s", header_timeout_s, "10", 1, 3600,
      "time allowed for the TLS handshake and request headers, and for an idle keep-alive"),
    I("server", "idle_timeout_s", idle_timeout_s, "30", 1, 3600,
      "time a connection may send or accept nothing"),
    I("server", "min_body_rate", min_body_rate, "1024", 0, 1000000000,
      "slowest accepted upload, bytes/s averaged over body_rate_window_s (0: no minimum)"),
    I("server", "body_rate_window_s", body_rate_window_s, "10", 1, 3600,
      "window over which min_body_rate is measured"),
    I("server", "workers", workers, "4", 1, 256,
      "worker threads, each with its own database connection"),
    I("server", "max_connections", max_connections, "1024", 1, 1000000,
      "connections served at once"),
    I("server", "shutdown_timeout_s", shutdown_timeout_s, "30", 0, 3600,
      "on SIGTERM, how long requests in flight may take to finish"),
    B("server", "metrics_public", metrics_public, "false",
      "serve /metrics to non-loopback clients"),
    S("server", "public_url", public_url, "https://localhost:8443",
      "the address people reach this server at (behind a balancer: its address), for the "
      "links in report e-mails and webhooks and the one-time password links"),
    S("database", "host", db_host, "",
      "MariaDB host; empty with an empty socket: the embedded server"),
    I("database", "port", db_port, "3306", 1, 65535, "MariaDB port"),
    S("database", "socket", db_socket, "", "MariaDB Unix socket"),
    S("database", "user", db_user, "", "MariaDB user (embedded: root over its private socket)"),
    {"database", "password", CFG_STRING, "", 0, 0, offsetof(config_t, db_password),
     "MariaDB password", true},
    S("database", "name", db_name, "slattest", "database name"),
    B("database", "tls", db_tls, "false", "require TLS to the database and verify its certificate"),
    S("database", "tls_ca", db_tls_ca, "", "CA certificate (PEM) for the database's TLS"),
    I("database", "connect_timeout_s", db_connect_timeout_s, "3", 1, 600, "connect timeout"),
    B("database", "galera", db_galera, "false",
      "the database is a MariaDB Galera cluster: every session reads causally "
      "(wsrep_sync_wait), large batches replicate in fragments"),
    I("database", "fragment_rows", db_fragment_rows, "10000", 100, 1000000,
      "Galera: a batch's transaction replicates every this many rows (streaming replication)"),
    S("signing", "key", signing_key, "${var}/certs/signing.key",
      "report-signing private key (PEM, not group/world readable)"),
    S("signing", "cert", signing_cert, "${var}/certs/signing.pem",
      "report-signing certificate (PEM)"),
    S("signing", "ca", signing_ca, "${var}/certs/ca.pem",
      "CA certificate(s) that signatures must chain to (PEM)"),
    S("signing", "retired", signing_retired, "${var}/certs/retired",
      "directory of retired signing certificates (*.pem), still published and trusted for old "
      "reports"),
    I("reports", "stale_s", reports_stale_s, "60", 3, 3600,
      "a running report job whose heartbeat is older than this many seconds is taken over "
      "(its server died); a live job beats every stale_s / 6"),
    I("schedules", "interval_s", sched_interval_s, "30", 0, 3600,
      "how often each server's scheduler looks for due runs and deliveries (0: never)"),
    I("schedules", "grace_h", sched_grace_h, "6", 0, 720,
      "a period counts as closed this many hours after the last batch touching it"),
    I("schedules", "max_attempts", sched_max_attempts, "5", 1, 100,
      "delivery attempts before a delivery is dead-lettered"),
    I("schedules", "retry_base_s", sched_retry_base_s, "60", 1, 86400,
      "wait before the 2nd attempt; doubled for each one after"),
    I("schedules", "pause_after", sched_pause_after, "3", 1, 1000,
      "dead-lettered deliveries in a row after which a schedule is paused"),
    S("smtp", "url", smtp_url, "",
      "smtp://host:587 (STARTTLS) or smtps://host:465; empty: no e-mail"),
    S("smtp", "from", smtp_from, "slattest@localhost", "sender address of report e-mails"),
    S("smtp", "user", smtp_user, "", "SMTP user (empty: no authentication)"),
    {"smtp", "password", CFG_STRING, "", 0, 0, offsetof(config_t, smtp_password), "SMTP password",
     true},
    B("smtp", "require_tls", smtp_require_tls, "true",
      "require TLS to the relay; false is allowed only for a loopback relay"),
    S("smtp", "ca", smtp_ca, "", "CA file (PEM) for the relay's certificate (empty: system CAs)"),
    I("smtp", "timeout_s", smtp_timeout_s, "30", 1, 600, "time allowed for one message"),
    I("webhook", "timeout_s", webhook_timeout_s, "10", 1, 300, "time allowed for one webhook POST"),
    I("portal", "idle_timeout_s", portal_idle_timeout_s, "1800", 60, 604800,
      "a portal session unused for this many seconds ends"),
    I("portal", "lifetime_s", portal_lifetime_s, "43200", 300, 2592000,
      "a portal session ends this many seconds after its login, however much it is used"),
    I("portal", "login_delay_after", portal_login_delay_after, "3", 1, 1000,
      "failed logins of one email (in login_lock_s) after which each attempt waits 1, 2, 4... s"),
    I("portal", "login_lock_after", portal_login_lock_after, "10", 2, 1000,
      "failed logins of one email in login_lock_s seconds that lock it for that long"),
    I("portal", "login_lock_s", portal_login_lock_s, "900", 10, 86400,
      "the window in which failed logins are counted, and the length of a lock"),
    I("portal", "address_lock_after", portal_address_lock_after, "50", 5, 100000,
      "failed logins from one client address in login_lock_s seconds that lock the address "
      "(delays start at a fifth of it)"),
    B("portal", "verify_public", portal_verify_public, "true",
      "the verify page works without logging in (valid or not, signer, signing time)"),
    S("portal", "totp_required_roles", portal_totp_required_roles, "",
      "roles whose people must sign in with a TOTP code too, comma-separated (admin, manager, "
      "ingest, client, auditor); they are sent to enrol before any other page"),
    S("paths", "var", var, "var", "state directory: embedded database, certificates"),
    S("paths", "migrations", migrations, "migrations", "directory of NNNN_name.sql migrations"),
    S("paths", "templates", templates, "templates",
      "directory of workbook templates, and of the portal's pages/, i18n/ and static/"),
};

#define NOPTS (sizeof config_table / sizeof config_table[0])

/* Replaces a leading "${var}" in *s with the var directory. */
static void config_expand_var(char **s, const char *var)
{
    static const char ph[] = "${var}";
    if (strncmp(*s, ph, sizeof ph - 1) != 0)
        return;
    buf_t b;
    buf_init(&b, 4096);
    buf_puts(&b, var);
    buf_puts(&b, *s + sizeof ph - 1);
    free(*s);
    *s = buf_detach(&b, NULL);
}

/* [smtp] require_tls = false only for a relay on loopback (nothing leaves the machine). */
static int config_check_smtp(const config_t *cfg, char *err, size_t errlen)
{
    if (cfg->smtp_require_tls || !cfg->smtp_url[0])
        return ST_OK;
    const char *u = cfg->smtp_url, *h = strstr(u, "://");
    h = h ? h + 3 : u;
    static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(h, loopback[i], n) == 0 && (h[n] == '\0' || h[n] == ':' || h[n] == '/'))
            return ST_OK;
    }
    st_errf(err, errlen,
            "smtp.require_tls = false is allowed only for a loopback relay "
            "(127.0.0.1, [::1] or localhost), not %s",
            u);
    return ST_ERR_CONFIG;
}

int config_load(const char *path, config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    const char *file = path;
    bool required = path != NULL;
    if (!file)
        file = access("slattest.ini", F_OK) == 0 ? "slattest.ini" : "/etc/slattest/slattest.ini";
    int rc = cfg_load(config_table, NOPTS, cfg, file, required, err, errlen);
    if (rc != ST_OK)
        return rc;
    char **paths[] = {&cfg->tls_cert,     &cfg->tls_key,    &cfg->signing_key,
                      &cfg->signing_cert, &cfg->signing_ca, &cfg->db_socket,
                      &cfg->migrations,   &cfg->templates,  &cfg->signing_retired};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        config_expand_var(paths[i], cfg->var);
    cfg->db_embedded = cfg->db_host[0] == '\0' && cfg->db_socket[0] == '\0';
    return config_check_smtp(cfg, err, errlen);
}

void config_free(config_t *cfg)
{
    cfg_free(config_table, NOPTS, cfg);
}

void config_dump(const config_t *cfg, FILE *out)
{
    cfg_dump(config_table, NOPTS, cfg, out);
}
