/*
 * page_optout.c - the opt-out page of scheduled e-mails (docs/schedules.md
 * "Opt-out"): GET /unsubscribe?token= shows who would stop which
 * schedule's e-mails and asks to confirm; POST /unsubscribe (the form,
 * with its token and the form token of someone not signed in, like the
 * login) records it.  No login: the signed token (unsub_token.h) names
 * the tenant, schedule and recipient.  Mail clients use the API's
 * one-click POST /v1/unsubscribe instead (RFC 8058).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "portal_int.h"
#include "sched_store.h"
#include "server.h"
#include "status.h"

void page_optout(api_ctx_t *ctx, db_t *db)
{
    bool post = strcmp(ctx->req->method, "POST") == 0;
    char token[UNSUB_TOKEN_MAX + 1] = "";
    if (post)
        page_form(ctx, "token", token, sizeof token);
    else
        api_query(ctx, "token", token, sizeof token);
    sstore_optout_t o;
    int64_t now = (int64_t)time(NULL);
    int rc =
        post ? sstore_optout(db, token, "page", now, &o) : sstore_optout_read(db, token, now, &o);
    if (rc != ST_OK && rc != ST_ERR_NOT_FOUND) {
        api_db_error(ctx, rc, db);
        return;
    }
    page_t pg;
    page_begin(&pg, ctx);
    if (rc == ST_ERR_NOT_FOUND) {
        json_object_set_new(pg.data, "invalid", json_true());
        page_render(&pg, 404, "optout");
        return;
    }
    json_object_set_new(pg.data, "tenant_name", json_string(o.tenant.name));
    json_object_set_new(pg.data, "schedule", json_string(o.who.schedule));
    json_object_set_new(pg.data, "email", json_string(o.who.email));
    json_object_set_new(pg.data, "token", json_string(token));
    json_object_set_new(pg.data, "done", json_boolean(post || o.already));
    page_render(&pg, 200, "optout");
}
