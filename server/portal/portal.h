/*
 * portal.h - the web pages for people (docs/portal.md): server-rendered
 * HTML from templates/pages through lib/tmpl.c (escaping by default), in
 * English or Simplified Chinese from templates/i18n, behind the router's
 * one gate (router.h, "Pages").
 *
 * portal_load() reads every page template, both catalogues and the static
 * files once at start-up and refuses to start on a template that does not
 * parse or catalogues whose keys differ.  After that a portal_t is
 * read-only and serves any number of worker threads.  cli_serve() puts it
 * and portal_pages() into server_t.
 */
#ifndef SLT_PORTAL_H
#define SLT_PORTAL_H

#include <stddef.h>

#include "config.h"
#include "router.h"

typedef struct portal portal_t;

/* Loads templates, catalogues and static files from cfg->templates; ST_ERR_CONFIG with err set. */
int portal_load(const config_t *cfg, portal_t **out, char *err, size_t errlen);
/* Frees a portal; NULL does nothing. */
void portal_free(portal_t *p);
/* The page routes with the portal's admit and error hooks (static). */
const router_pages_t *portal_pages(void);

#endif
