/*
 * server.h - the running server's parts, shared by the router and handlers.
 * Owned by cli_serve() (server.c) for the life of the process.
 */
#ifndef SLT_SERVER_H
#define SLT_SERVER_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "config.h"
#include "httpd.h"
#include "jobs.h"
#include "pool.h"
#include "probe.h"
#include "prom.h"
#include "signing.h"

struct server {
    const config_t *cfg;
    struct event_base *base;
    SSL_CTX *tls;
    httpd_t *httpd;
    pool_t *pool;
    prom_t *prom;
    signing_t *signing;
    jobs_t *jobs;
    probe_t *probe;
    const struct router_pages *pages; /* the portal's page routes (router.h), or NULL */
    struct portal *portal;            /* the portal's templates and catalogues (not owned) */
};

#endif
