/*
 * server.c - `slattest serve`: wires configuration, TLS, the worker pool,
 * the HTTP layer and the router onto one libevent loop, and shuts down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish requests in flight,
 * exit 0).  Also `slattest routes`.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dbsrv.h"
#include "log.h"
#include "deliver.h"
#include "portal.h"
#include "router.h"
#include "scheduler.h"
#include "server.h"
#include "status.h"
#include "tls.h"

/* Ends the loop once every connection is closed. */
static void on_drained(void *arg)
{
    server_t *srv = arg;
    event_base_loopexit(srv->base, NULL);
}

/* SIGTERM/SIGINT: drain, with a deadline after which the loop ends anyway. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    server_t *srv = arg;
    static bool shutting_down = false;
    if (shutting_down)
        return;
    shutting_down = true;
    log_info("shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    struct timeval tv = {(time_t)srv->cfg->shutdown_timeout_s, 0};
    event_base_loopexit(srv->base, &tv);
    httpd_shutdown(srv->httpd, on_drained, srv);
}

/* The scheduler queued report jobs: the job runner looks now. */
static void wake_jobs(void *arg)
{
    jobs_wake(arg);
}

int cli_serve(config_t *cfg, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--now") == 0) {
            fprintf(stderr, "slattest: serve has no --now: its scheduler always uses the clock "
                            "(run what is due at another instant with `slattest schedule "
                            "run-due --now INSTANT`)\n");
            return 2;
        }
    if (argc > 1) {
        puts("usage: slattest serve [--config FILE]\nServes HTTPS on [server] listen.");
        return cli_wants_help(argc, argv) ? 0 : 2;
    }
    int exit_code = 1;
    char err[1024] = "";
    server_t srv = {.cfg = cfg};
    struct event *sigterm = NULL, *sigint = NULL;
    sched_t *sched = NULL;

    signal(SIGPIPE, SIG_IGN);
    if (access(cfg->tls_cert, R_OK) != 0 || access(cfg->tls_key, R_OK) != 0) {
        fprintf(stderr,
                "slattest: TLS certificate %s or key %s is missing: run `make dev-certs` for "
                "development certificates, or set [server] tls_cert and tls_key\n",
                cfg->tls_cert, cfg->tls_key);
        return 1;
    }
    if (portal_load(cfg, &srv.portal, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: %s\n", err);
        return 1;
    }
    srv.pages = portal_pages();
    if (signing_load(cfg, &srv.signing, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: report signing: %s\n", err);
        goto fail;
    }
    if (cfg->db_embedded && dbsrv_start(cfg, err, sizeof err) != ST_OK) {
        fprintf(stderr, "slattest: embedded database: %s\n", err);
        goto fail;
    }
    if (evthread_use_pthreads() != 0) {
        fprintf(stderr, "slattest: libevent has no thread support\n");
        goto fail;
    }
    srv.base = event_base_new();
    srv.tls = tls_server_ctx_new(cfg->tls_cert, cfg->tls_key, err, sizeof err);
    if (!srv.base || !srv.tls) {
        fprintf(stderr, "slattest: %s\n", err[0] ? err : "cannot create the event loop");
        goto fail;
    }
    srv.prom = prom_new();
    prom_watch_loop(srv.prom, srv.base); /* slattest_event_loop_lag_seconds */
    srv.pool = pool_new(srv.base, cfg, (int)cfg->workers);
    srv.jobs = jobs_start(cfg, srv.signing);
    /* The scheduler looks by the clock only: no --now here (see `schedule run-due`). */
    dlv_init();
    sched = sched_start(cfg, srv.signing, wake_jobs, srv.jobs);
    srv.probe = probe_start(cfg);
    httpd_limits_t limits = {
        .max_header_bytes = (size_t)cfg->max_header_kb * 1024,
        .header_timeout_s = (double)cfg->header_timeout_s,
        .idle_timeout_s = (double)cfg->idle_timeout_s,
        .min_body_rate = (size_t)cfg->min_body_rate,
        .rate_window_s = (double)cfg->body_rate_window_s,
        .max_connections = (size_t)cfg->max_connections,
    };
    httpd_callbacks_t cb = {router_on_headers, router_on_request,  router_on_response,
                            router_on_body,    router_on_body_end, &srv};
    srv.httpd = httpd_new(srv.base, srv.tls, cfg->listen, &limits, &cb, err, sizeof err);
    if (!srv.httpd) {
        fprintf(stderr, "slattest: %s\n", err);
        goto fail;
    }
    sigterm = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
    sigint = evsignal_new(srv.base, SIGINT, on_signal, &srv);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", httpd_port(srv.httpd));
    log_info("listening", "listen", cfg->listen, "port", port, NULL);
    event_base_dispatch(srv.base);
    /* Already shutting down: a second signal must not cut the clean-up short. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    log_info("stopped", NULL);
    exit_code = 0;
fail:
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    probe_stop(srv.probe);
    sched_stop(sched);   /* a delivery in progress is finished first */
    jobs_stop(srv.jobs); /* a report being built is finished first */
    pool_free(srv.pool); /* finishes jobs; their answers go to closed requests */
    httpd_free(srv.httpd);
    prom_free(srv.prom);
    signing_free(srv.signing);
    dlv_end();
    portal_free(srv.portal);
    if (srv.tls)
        SSL_CTX_free(srv.tls);
    if (srv.base)
        event_base_free(srv.base);
    return exit_code;
}

/* `routes` (the API's) or `routes --pages` (the portal's), as JSON lines. */
int cli_routes(config_t *cfg, int argc, char **argv)
{
    (void)cfg;
    if (argc >= 2 && strcmp(argv[1], "--pages") == 0) {
        const router_pages_t *p = portal_pages();
        router_print_table(stdout, p->routes, p->n);
        return 0;
    }
    if (argc >= 2) {
        fprintf(stderr, "usage: slattest routes [--pages]\n");
        return 2;
    }
    router_print(stdout);
    return 0;
}
