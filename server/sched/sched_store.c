/* sched_store.c - schedules, period closes and history (see sched_store.h). */
#include "sched_store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "mail_msg.h"
#include "people.h"
#include "report_stale.h"
#include "report_store.h"
#include "srvkey.h"
#include "rfc3339.h"
#include "faults.h"
#include "jsonutil.h"
#include "status.h"
#include "xmem.h"

#define SECRET_MIN 16
#define SECRET_MAX 256
#define URL_MAX    2000

void sstore_time(int64_t t, char out[33])
{
    out[0] = '\0';
    if (t)
        rfc3339_format_utc(t * 1000000, out, 33);
}

void sstore_sched_clear(sstore_sched_t *s)
{
    if (!s)
        return;
    json_decref(s->spec);
    free(s->secret);
    s->spec = NULL;
    s->secret = NULL;
}

bool sstore_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '-' || name[0] == '_')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-' || name[i] == '_'))
            return false;
    return true;
}

/* Fills a refusal and returns ST_ERR_INVALID. */
__attribute__((format(printf, 3, 4))) static int refuse(sstore_err_t *e, const char *field,
                                                        const char *fmt, ...)
{
    snprintf(e->field, sizeof e->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return ST_ERR_INVALID;
}

/* True for a webhook URL we post to: https, or http to a loopback receiver. */
static bool webhook_url_valid(const char *u)
{
    if (strlen(u) > URL_MAX)
        return false;
    for (const char *p = u; *p; p++)
        if (*p <= ' ' || *p > '~')
            return false;
    if (strncmp(u, "https://", 8) == 0)
        return u[8] != '\0' && u[8] != '/';
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(u, loopback[i], n) == 0 && (u[n] == '\0' || u[n] == ':' || u[n] == '/'))
            return true;
    }
    return false;
}

/* The parts of a PUT body. */
typedef struct spec_in {
    json_t *canon;
    const char *secret; /* borrowed from the body, or NULL */
    bool enabled;
    bool has_first;
    sched_period_t first;
    sched_when_t when;
    json_t *resub; /* addresses whose opt-out the PUT clears (owned) */
} spec_in_t;

/* A portal person named as a recipient: role, and whether granted the tenant. */
typedef struct person_view {
    bool found, disabled, granted;
    char role[16];
} person_view_t;

/* Looks up the portal person with (normalised) address email. */
static int person_lookup(db_t *db, uint64_t tenant_id, const char *email, person_view_t *out)
{
    memset(out, 0, sizeof *out);
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(tenant_id), db_str(email)};
    int rc =
        db_exec(db,
                "SELECT p.role, p.disabled_at IS NOT NULL, EXISTS (SELECT 1 FROM person_grants "
                "g WHERE g.person_id = p.id AND g.tenant_id = ?) FROM people p WHERE "
                "p.email = ?",
                p, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        out->found = true;
        snprintf(out->role, sizeof out->role, "%s", db_res_str(res, 0, NULL));
        out->disabled = db_res_i64(res, 1) != 0;
        out->granted = db_res_i64(res, 2) != 0 || strcmp(out->role, "admin") == 0;
    }
    db_res_free(res);
    return rc;
}

/*
 * Whether portal person pv may see a report of audience aud: an admin
 * always; a manager or auditor granted the tenant any; a client granted
 * the tenant the client audience only; nobody else.  Why not, into why.
 */
static bool person_may_see(const person_view_t *pv, const char *aud, char *why, size_t n)
{
    if (pv->disabled) {
        snprintf(why, n, "is disabled in the portal");
        return false;
    }
    if (!pv->granted) {
        snprintf(why, n, "is not granted this tenant");
        return false;
    }
    bool ok = strcmp(pv->role, "admin") == 0 || strcmp(pv->role, "manager") == 0 ||
              strcmp(pv->role, "auditor") == 0 ||
              (strcmp(pv->role, "client") == 0 && strcmp(aud, "client") == 0);
    if (!ok)
        snprintf(why, n, "has the role %s, which may not see a report for the %s audience",
                 pv->role, aud);
    return ok;
}

/*
 * Checks the recipients (and whether each may see every template) into
 * canon, and the addresses marked "resubscribe" into resub.  A recipient
 * is {"email"} (an address) or {"person"} (the address of a portal
 * person); an address that belongs to a portal person is checked as that
 * person, so naming it by address cannot widen who sees a report.
 */
static int parse_recipients(db_t *db, uint64_t tenant_id, json_t *list, json_t *templates,
                            json_t *canon, json_t *resub, sstore_err_t *e)
{
    if (list && !json_is_array(list))
        return refuse(e, "recipients",
                      "an array of {\"email\" or \"person\", \"lang\", \"internal\"}");
    if (json_array_size(list) > SSTORE_MAX_RECIPIENTS)
        return refuse(e, "recipients", "at most %d", SSTORE_MAX_RECIPIENTS);
    json_t *out = json_array();
    json_object_set_new(canon, "recipients", out);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        char field[64];
        snprintf(field, sizeof field, "recipients[%zu]", i);
        if (!json_is_object(r))
            return refuse(e, field, "an object {\"email\" or \"person\", \"lang\", \"internal\"}");
        const char *k;
        json_t *v;
        json_object_foreach(r, k, v)
        {
            if (strcmp(k, "email") && strcmp(k, "person") && strcmp(k, "lang") &&
                strcmp(k, "internal") && strcmp(k, "resubscribe"))
                return refuse(e, field,
                              "unknown member '%.40s' (known: email, person, lang, internal, "
                              "resubscribe)",
                              k);
        }
        json_t *person_j = json_object_get(r, "person"), *email_j = json_object_get(r, "email");
        if ((person_j != NULL) == (email_j != NULL))
            return refuse(e, field,
                          "one of \"email\" (an address) or \"person\" (a portal person)");
        const char *given = json_string_value(person_j ? person_j : email_j);
        snprintf(field, sizeof field, "recipients[%zu].%s", i, person_j ? "person" : "email");
        char email[PEOPLE_EMAIL_MAX + 1];
        if (!given || !mail_address_valid(given) || people_email_normalise(given, email) != ST_OK)
            return refuse(e, field, "not a valid e-mail address (local@domain.example)");
        person_view_t pv;
        int rc = person_lookup(db, tenant_id, email, &pv);
        if (rc != ST_OK)
            return rc;
        if (person_j && !pv.found)
            return refuse(e, field, "%s is not a person of the portal", email);
        json_t *lang_j = json_object_get(r, "lang"), *internal_j = json_object_get(r, "internal");
        json_t *resub_j = json_object_get(r, "resubscribe");
        const char *lang = lang_j ? json_string_value(lang_j) : "en";
        char lfield[64];
        snprintf(lfield, sizeof lfield, "recipients[%zu].lang", i);
        if (!lang || !mail_lang_known(lang))
            return refuse(e, lfield, "one of en, zh");
        snprintf(lfield, sizeof lfield, "recipients[%zu].internal", i);
        if (internal_j && !json_is_boolean(internal_j))
            return refuse(e, lfield, "true or false");
        snprintf(lfield, sizeof lfield, "recipients[%zu].resubscribe", i);
        if (resub_j && !json_is_boolean(resub_j))
            return refuse(e, lfield, "true or false");
        /* A person's own role says what they may see; "internal" is for addresses. */
        bool internal = pv.found ? strcmp(pv.role, "client") != 0 : json_is_true(internal_j);
        size_t k2;
        json_t *tpl;
        json_array_foreach(templates, k2, tpl)
        {
            const char *aud = rstore_template_audience(json_string_value(tpl));
            char why[160];
            if (pv.found && !person_may_see(&pv, aud, why, sizeof why))
                return refuse(e, field, "%s %s: %s may not go to them", email, why,
                              json_string_value(tpl));
            snprintf(lfield, sizeof lfield, "recipients[%zu]", i);
            if (!pv.found && !internal && strcmp(aud, "client") != 0)
                return refuse(e, lfield,
                              "%s may not see %s, a report for the outsourcer's staff: only a "
                              "recipient marked \"internal\": true may",
                              email, json_string_value(tpl));
        }
        json_t *one = json_pack("{s:s, s:s, s:b}", "email", person_j ? email : given, "lang", lang,
                                "internal", internal);
        if (person_j)
            json_object_set_new(one, "person", json_string(email));
        json_array_append_new(out, one);
        if (json_is_true(resub_j))
            json_array_append_new(resub, json_string(person_j ? email : given));
    }
    return ST_OK;
}

/* Validates a PUT body into in->canon (new reference on ST_OK). */
static int parse_body(db_t *db, uint64_t tenant_id, json_t *body, bool secret_stored, spec_in_t *in,
                      sstore_err_t *e)
{
    static const char *const members[] = {
        "templates", "day",     "business_days", "time",         "recipients",
        "channels",  "webhook", "enabled",       "first_period", "reissue_stale"};
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
            known = known || strcmp(k, members[i]) == 0;
        if (!known)
            return refuse(e, k,
                          "unknown member (known: templates, day, business_days, time, "
                          "recipients, channels, webhook, enabled, first_period, reissue_stale)");
    }
    memset(in, 0, sizeof *in);
    in->resub = json_array();
    json_t *canon = json_object();
    in->canon = canon;
    int rc = ST_ERR_INVALID;
    /* templates */
    const char *names[RSTORE_TEMPLATES + 1];
    char valid[120];
    rstore_template_names(names);
    faults_join(names, valid, sizeof valid);
    json_t *tpls = json_object_get(body, "templates"), *tout = json_array();
    json_object_set_new(canon, "templates", tout);
    if (!json_is_array(tpls) || json_array_size(tpls) == 0 ||
        json_array_size(tpls) > SSTORE_MAX_TEMPLATES) {
        rc = refuse(e, "templates", "an array of 1 to %d template names: %s", SSTORE_MAX_TEMPLATES,
                    valid);
        goto fail;
    }
    size_t i;
    json_array_foreach(tpls, i, v)
    {
        char field[32];
        snprintf(field, sizeof field, "templates[%zu]", i);
        const char *name = json_string_value(v);
        if (!name || !rstore_template_audience(name)) {
            rc = refuse(e, field, "unknown template '%.64s'; valid: %s", name ? name : "", valid);
            goto fail;
        }
        if (strcmp(rstore_template_audience(name), "portfolio") == 0) {
            /* A portfolio covers the tenants its requester may see; a schedule
             * has no requester's view to keep yet. */
            rc = refuse(e, field, "%s cannot be scheduled yet: request it by hand", name);
            goto fail;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(tpls, j)), name) == 0) {
                rc = refuse(e, field, "'%s' is listed twice", name);
                goto fail;
            }
        json_array_append_new(tout, json_string(name));
    }
    /* when */
    json_t *day = json_object_get(body, "day"), *bd = json_object_get(body, "business_days");
    if (!json_is_integer(day)) {
        rc = refuse(e, "day",
                    "an integer: day N of the month after the period (1-31), or the "
                    "N-th business day (1-23) with \"business_days\": true");
        goto fail;
    }
    if (bd && !json_is_boolean(bd)) {
        rc = refuse(e, "business_days", "true or false");
        goto fail;
    }
    json_int_t dv = json_integer_value(day);
    in->when.day = dv < 0 || dv > 1000 ? 0 : (int)dv;
    in->when.business_days = json_is_true(bd);
    const char *time = json_string_value(json_object_get(body, "time"));
    if (sched_time_parse(time, &in->when.hour, &in->when.min) != ST_OK) {
        rc = refuse(e, "time", "local time HH:MM from 00:00 to 23:59, not '%.16s'",
                    time ? time : "(missing)");
        goto fail;
    }
    char err[160];
    if (sched_when_check(&in->when, err, sizeof err) != ST_OK) {
        rc = refuse(e, "day", "%s", strchr(err, ':') ? strchr(err, ':') + 2 : err);
        goto fail;
    }
    json_object_set_new(canon, "day", json_integer(in->when.day));
    json_object_set_new(canon, "business_days", json_boolean(in->when.business_days));
    json_object_set_new(canon, "time", json_string(time));
    /* recipients */
    if ((rc = parse_recipients(db, tenant_id, json_object_get(body, "recipients"), tout, canon,
                               in->resub, e)) != ST_OK)
        goto fail;
    /* channels and the webhook */
    json_t *ch = json_object_get(body, "channels"), *cout = json_array();
    json_object_set_new(canon, "channels", cout);
    bool email = false, webhook = false;
    if (!json_is_array(ch) || json_array_size(ch) == 0 || json_array_size(ch) > 2) {
        rc = refuse(e, "channels", "an array of \"email\" and/or \"webhook\"");
        goto fail;
    }
    json_array_foreach(ch, i, v)
    {
        const char *c = json_string_value(v);
        bool is_email = c && strcmp(c, "email") == 0, is_hook = c && strcmp(c, "webhook") == 0;
        if ((!is_email && !is_hook) || (is_email && email) || (is_hook && webhook)) {
            rc = refuse(e, "channels", "\"email\" and/or \"webhook\", each once");
            goto fail;
        }
        email = email || is_email;
        webhook = webhook || is_hook;
        json_array_append_new(cout, json_string(c));
    }
    if (email && json_array_size(json_object_get(canon, "recipients")) == 0) {
        rc = refuse(e, "recipients", "the email channel needs at least one recipient");
        goto fail;
    }
    json_t *wh = json_object_get(body, "webhook");
    if (wh && !json_is_object(wh)) {
        rc = refuse(e, "webhook", "an object {\"url\", \"secret\"}");
        goto fail;
    }
    if (wh) {
        json_object_foreach(wh, k, v)
        {
            if (strcmp(k, "url") && strcmp(k, "secret")) {
                rc = refuse(e, "webhook", "unknown member '%.40s'", k);
                goto fail;
            }
        }
        const char *url = json_string_value(json_object_get(wh, "url"));
        json_t *sj = json_object_get(wh, "secret");
        if (!url || !webhook_url_valid(url)) {
            rc = refuse(e, "webhook.url", "an https:// URL (http:// only to a loopback receiver)");
            goto fail;
        }
        in->secret = json_string_value(sj);
        if (sj &&
            (!in->secret || strlen(in->secret) < SECRET_MIN || strlen(in->secret) > SECRET_MAX)) {
            rc = refuse(e, "webhook.secret", "a string of %d to %d characters", SECRET_MIN,
                        SECRET_MAX);
            goto fail;
        }
        json_object_set_new(canon, "webhook", json_pack("{s:s}", "url", url));
    }
    if (webhook && !wh) {
        rc = refuse(e, "webhook", "the webhook channel needs {\"url\", \"secret\"}");
        goto fail;
    }
    if (webhook && !in->secret && !secret_stored) {
        rc = refuse(e, "webhook.secret", "required: the key the receiver checks signatures with");
        goto fail;
    }
    json_t *en = json_object_get(body, "enabled");
    if (en && !json_is_boolean(en)) {
        rc = refuse(e, "enabled", "true or false");
        goto fail;
    }
    in->enabled = !en || json_is_true(en);
    json_t *rs = json_object_get(body, "reissue_stale");
    if (rs && !json_is_boolean(rs)) {
        rc = refuse(e, "reissue_stale", "true or false");
        goto fail;
    }
    json_object_set_new(canon, "reissue_stale", json_boolean(json_is_true(rs)));
    json_t *fp = json_object_get(body, "first_period");
    if (fp) {
        if (sched_period_parse(json_string_value(fp), &in->first) != ST_OK) {
            rc = refuse(e, "first_period", "a month YYYY-MM: the first period to report");
            goto fail;
        }
        in->has_first = true;
    }
    return ST_OK;
fail:
    json_decref(canon);
    in->canon = NULL;
    json_decref(in->resub);
    in->resub = NULL;
    return rc;
}

/* sched_when_t of a canonical spec. */
static void spec_when(const json_t *spec, sched_when_t *w)
{
    w->day = (int)json_integer_value(json_object_get(spec, "day"));
    w->business_days = json_is_true(json_object_get(spec, "business_days"));
    if (sched_time_parse(json_string_value(json_object_get(spec, "time")), &w->hour, &w->min) !=
        ST_OK)
        w->hour = w->min = 0;
}

int sstore_put(db_t *db, const tenant_t *t, const char *actor, const char *name, json_t *body,
               int64_t now, bool *created, json_t **out, sstore_err_t *e)
{
    *out = NULL;
    if (!sstore_name_valid(name))
        return refuse(e, "name", "1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit");
    tz_t *tz = NULL;
    char err[200];
    if (tz_load(t->timezone, &tz, err, sizeof err) != ST_OK)
        return refuse(e, "timezone", "the tenant's zone '%s' cannot be read: %s", t->timezone, err);
    spec_in_t in = {0};
    db_res_t *res = NULL;
    char *text = NULL;
    int rc = db_begin(db);
    if (rc != ST_OK)
        goto done;
    db_val_t key[] = {db_u64(t->id), db_str(name)};
    rc = db_exec(db,
                 "SELECT webhook_secret IS NOT NULL, first_period FROM schedules "
                 "WHERE tenant_id = ? AND name = ? FOR UPDATE",
                 key, 2, &res);
    if (rc != ST_OK)
        goto done;
    bool exists = db_res_next(res);
    bool secret_stored = exists && db_res_i64(res, 0);
    sched_period_t old_first = {0, 0};
    if (exists)
        sched_period_parse(db_res_str(res, 1, NULL), &old_first);
    if ((rc = parse_body(db, t->id, body, secret_stored, &in, e)) != ST_OK)
        goto done;
    sched_period_t first = in.has_first ? in.first
                           : exists     ? old_first
                                        : sched_due_first_from(tz, &in.when, now);
    char first_text[8];
    sched_period_format(first, first_text);
    text = jsonutil_dumps(in.canon, JSON_COMPACT | JSON_PRESERVE_ORDER);
    db_val_t secret = in.secret ? db_blob(in.secret, strlen(in.secret)) : db_null();
    if (!exists) {
        db_val_t p[] = {db_u64(t->id), db_str(name),       db_str(text),
                        secret,        db_str(first_text), db_i64(in.enabled),
                        db_str(actor), db_i64(now),        db_i64(now)};
        rc = db_exec(db,
                     "INSERT INTO schedules (tenant_id, name, spec, webhook_secret, first_period, "
                     "enabled, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                     p, 9, NULL);
    } else {
        bool keep = !in.secret;
        db_val_t p[] = {db_str(text),
                        keep ? db_i64(1) : db_i64(0),
                        secret,
                        db_str(first_text),
                        db_i64(in.enabled),
                        db_i64(now),
                        db_u64(t->id),
                        db_str(name)};
        rc = db_exec(db,
                     "UPDATE schedules SET spec = ?, "
                     "webhook_secret = IF(?, webhook_secret, ?), first_period = ?, enabled = ?, "
                     "paused_reason = NULL, dead_in_row = 0, updated_at = ? "
                     "WHERE tenant_id = ? AND name = ?",
                     p, 8, NULL);
    }
    char object[96];
    snprintf(object, sizeof object, "schedule:%s", name);
    if (rc == ST_OK)
        rc = audit_append(db, actor, t->id, exists ? "schedule.update" : "schedule.create", object,
                          text);
    size_t i;
    json_t *addr;
    json_array_foreach(in.resub, i, addr)
    {
        /* A recipient listed with "resubscribe": true gets the e-mails again. */
        db_val_t d[] = {db_u64(t->id), db_str(name), db_str(json_string_value(addr))};
        if (rc == ST_OK)
            rc = db_exec(db,
                         "DELETE FROM schedule_optouts WHERE tenant_id = ? AND schedule = ? AND "
                         "email = ?",
                         d, 3, NULL);
        char *detail = NULL;
        if (rc == ST_OK && db_affected(db) > 0) {
            json_t *dj = json_pack("{s:s}", "email", json_string_value(addr));
            detail = jsonutil_dumps(dj, JSON_COMPACT);
            json_decref(dj);
            rc = audit_append(db, actor, t->id, "schedule.resubscribe", object,
                              detail ? detail : "{}");
        }
        free(detail);
    }
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc == ST_OK) {
        *created = !exists;
        rc = sstore_get(db, t, name, now, out);
    }
done:
    if (rc != ST_OK)
        db_rollback(db);
    db_res_free(res);
    free(text);
    json_decref(in.canon);
    json_decref(in.resub);
    tz_free(tz);
    return rc;
}

/* The schedule of a row (spec, secret set, first_period, enabled, paused_reason, created_at,
 * updated_at, name) as the API shows it. */
static json_t *show(db_res_t *res, const tz_t *tz, int64_t now)
{
    json_t *spec = json_loads(db_res_str(res, 0, NULL), 0, NULL);
    if (!spec)
        spec = json_object();
    json_t *doc = json_pack("{s:s}", "name", db_res_str(res, 7, NULL));
    json_object_update(doc, spec);
    json_t *wh = json_object_get(doc, "webhook");
    if (wh)
        json_object_set_new(wh, "secret_set", json_boolean(db_res_i64(res, 1)));
    const char *first = db_res_str(res, 2, NULL);
    json_object_set_new(doc, "first_period", json_string(first));
    json_object_set_new(doc, "enabled", json_boolean(db_res_i64(res, 3)));
    const char *paused = db_res_str(res, 4, NULL);
    json_object_set_new(doc, "paused_reason", paused ? json_string(paused) : json_null());
    char ts[33];
    sstore_time(db_res_i64(res, 5), ts);
    json_object_set_new(doc, "created_at", json_string(ts));
    sstore_time(db_res_i64(res, 6), ts);
    json_object_set_new(doc, "updated_at", json_string(ts));
    sched_when_t w;
    spec_when(spec, &w);
    sched_period_t fp = {0, 0}, next = sched_period_add(sched_due_latest(tz, &w, now), 1);
    if (sched_period_parse(first, &fp) == ST_OK && sched_period_cmp(next, fp) < 0)
        next = fp;
    char period[8];
    sched_period_format(next, period);
    sstore_time(sched_due_at(tz, &w, next), ts);
    json_object_set_new(doc, "next_run", json_pack("{s:s, s:s}", "period", period, "due_at", ts));
    json_decref(spec);
    return doc;
}

#define SHOW_COLUMNS                                                                               \
    "SELECT spec, webhook_secret IS NOT NULL, first_period, enabled, paused_reason, created_at, "  \
    "updated_at, name FROM schedules "

/* Shows the schedules of the tenant (one when name is non-NULL) into array out. */
static int show_rows(db_t *db, const tenant_t *t, const char *name, int64_t now, json_t *out)
{
    tz_t *tz = NULL;
    char err[200];
    if (tz_load(t->timezone, &tz, err, sizeof err) != ST_OK)
        return ST_ERR_INTERNAL;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(t->id), name ? db_str(name) : db_null()};
    int rc = db_exec(db,
                     name ? SHOW_COLUMNS "WHERE tenant_id = ? AND name = ?"
                          : SHOW_COLUMNS "WHERE tenant_id = ? ORDER BY name",
                     p, name ? 2 : 1, &res);
    while (rc == ST_OK && db_res_next(res)) {
        json_t *doc = show(res, tz, now);
        json_object_set_new(doc, "timezone", json_string(t->timezone));
        json_object_set_new(doc, "opted_out", json_array());
        json_array_append_new(out, doc);
    }
    db_res_free(res);
    res = NULL;
    /* The recipients who stopped each schedule's e-mails. */
    if (rc == ST_OK)
        rc = db_exec(db,
                     "SELECT schedule, email, opted_at, via FROM schedule_optouts WHERE "
                     "tenant_id = ? AND (? IS NULL OR schedule = ?) ORDER BY schedule, email",
                     (db_val_t[]){p[0], p[1], p[1]}, 3, &res);
    while (rc == ST_OK && db_res_next(res)) {
        size_t i;
        json_t *doc;
        char at[33];
        sstore_time(db_res_i64(res, 2), at);
        json_array_foreach(out, i, doc)
        {
            if (strcmp(json_string_value(json_object_get(doc, "name")), db_res_str(res, 0, NULL)))
                continue;
            json_array_append_new(json_object_get(doc, "opted_out"),
                                  json_pack("{s:s, s:s, s:s}", "email", db_res_str(res, 1, NULL),
                                            "at", at, "via", db_res_str(res, 3, NULL)));
        }
    }
    db_res_free(res);
    tz_free(tz);
    return rc;
}

int sstore_get(db_t *db, const tenant_t *t, const char *name, int64_t now, json_t **out)
{
    json_t *list = json_array();
    int rc = show_rows(db, t, name, now, list);
    if (rc == ST_OK && json_array_size(list) == 0)
        rc = ST_ERR_NOT_FOUND;
    *out = rc == ST_OK ? json_incref(json_array_get(list, 0)) : NULL;
    json_decref(list);
    return rc;
}

int sstore_list(db_t *db, const tenant_t *t, int64_t now, json_t **out)
{
    *out = json_array();
    int rc = show_rows(db, t, NULL, now, *out);
    if (rc != ST_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int sstore_delete(db_t *db, const tenant_t *t, const char *actor, const char *name)
{
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t p[] = {db_u64(t->id), db_str(name)};
    rc = db_exec(db, "DELETE FROM schedules WHERE tenant_id = ? AND name = ?", p, 2, NULL);
    if (rc == ST_OK && db_affected(db) == 0)
        rc = ST_ERR_NOT_FOUND;
    char object[96];
    snprintf(object, sizeof object, "schedule:%s", name);
    if (rc == ST_OK)
        rc = audit_append(db, actor, t->id, "schedule.delete", object, "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    return rc;
}

/* Fills a sstore_sched_t from a row of LOAD_COLUMNS. */
static void load_row(db_res_t *res, sstore_sched_t *s)
{
    memset(s, 0, sizeof *s);
    s->tenant_id = (uint64_t)db_res_i64(res, 0);
    snprintf(s->name, sizeof s->name, "%s", db_res_str(res, 1, NULL));
    s->spec = json_loads(db_res_str(res, 2, NULL), 0, NULL);
    if (!s->spec)
        s->spec = json_object();
    size_t n = 0;
    const char *secret = db_res_str(res, 3, &n);
    s->secret = secret ? xstrndup(secret, n) : NULL;
    sched_period_parse(db_res_str(res, 4, NULL), &s->first);
    s->enabled = db_res_i64(res, 5) != 0;
    s->created_at = db_res_i64(res, 6);
    snprintf(s->tenant_slug, sizeof s->tenant_slug, "%s", db_res_str(res, 7, NULL));
    snprintf(s->tenant_name, sizeof s->tenant_name, "%s", db_res_str(res, 8, NULL));
    snprintf(s->timezone, sizeof s->timezone, "%s", db_res_str(res, 9, NULL));
    spec_when(s->spec, &s->when);
}

#define LOAD_COLUMNS                                                                               \
    "SELECT s.tenant_id, s.name, s.spec, s.webhook_secret, s.first_period, s.enabled, "            \
    "s.created_at, t.slug, t.name, t.timezone FROM schedules s JOIN tenants t ON t.id = "          \
    "s.tenant_id "

int sstore_load(db_t *db, uint64_t tenant_id, const char *name, sstore_sched_t *out)
{
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(tenant_id), db_str(name)};
    int rc = db_exec(db, LOAD_COLUMNS "WHERE s.tenant_id = ? AND s.name = ?", p, 2, &res);
    if (rc == ST_OK && !db_res_next(res))
        rc = ST_ERR_NOT_FOUND;
    if (rc == ST_OK)
        load_row(res, out);
    db_res_free(res);
    return rc;
}

int sstore_enabled(db_t *db, uint64_t tenant_id, sstore_sched_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(tenant_id)};
    int rc = tenant_id
                 ? db_exec(db,
                           LOAD_COLUMNS "WHERE s.enabled = 1 AND s.tenant_id = ? "
                                        "ORDER BY s.tenant_id, s.name",
                           p, 1, &res)
                 : db_exec(db, LOAD_COLUMNS "WHERE s.enabled = 1 ORDER BY s.tenant_id, s.name",
                           NULL, 0, &res);
    if (rc != ST_OK)
        return rc;
    *out = xcalloc(db_res_count(res) + 1, sizeof **out);
    while (db_res_next(res))
        load_row(res, &(*out)[(*n)++]);
    db_res_free(res);
    return ST_OK;
}

int sstore_runs(db_t *db, const tenant_t *t, const char *name, json_t **out)
{
    *out = NULL;
    db_res_t *res = NULL, *reps = NULL;
    db_val_t p[] = {db_u64(t->id), db_str(name)};
    int rc =
        db_exec(db,
                "SELECT id, period, status, due_at, started_at, finished_at, late, "
                "late_reason, close_kind, closed_at, close_note, runner, error, reissue_of, "
                "(SELECT COUNT(*) FROM deliveries d WHERE d.tenant_id = schedule_runs.tenant_id "
                "AND d.run_id = schedule_runs.id AND d.status = 'skipped') "
                "FROM schedule_runs WHERE tenant_id = ? AND schedule = ? ORDER BY id DESC",
                p, 2, &res);
    if (rc == ST_OK)
        rc = db_exec(
            db,
            "SELECT x.run_id, x.template, x.report_id, r.status FROM schedule_run_reports x "
            "JOIN schedule_runs s ON s.tenant_id = x.tenant_id AND s.id = x.run_id "
            "LEFT JOIN reports r ON r.tenant_id = x.tenant_id AND r.id = x.report_id "
            "WHERE x.tenant_id = ? AND s.schedule = ? ORDER BY x.run_id, x.template",
            p, 2, &reps);
    if (rc != ST_OK)
        goto done;
    json_t *list = json_array();
    while (db_res_next(res)) {
        char due[33], started[33], finished[33], closed[33];
        sstore_time(db_res_i64(res, 3), due);
        sstore_time(db_res_i64(res, 4), started);
        sstore_time(db_res_i64(res, 5), finished);
        sstore_time(db_res_i64(res, 9), closed);
        const char *late_reason = db_res_str(res, 7, NULL), *error = db_res_str(res, 12, NULL);
        int64_t id = db_res_i64(res, 0);
        json_t *reports = json_array();
        json_t *run = json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:{s:s, s:s, s:s}, s:s, s:o, s:o}", "id",
            (json_int_t)id, "period", db_res_str(res, 1, NULL), "status", db_res_str(res, 2, NULL),
            "due_at", due, "started_at", started, "finished_at",
            finished[0] ? json_string(finished) : json_null(), "late", (int)db_res_i64(res, 6),
            "late_reason", late_reason ? json_string(late_reason) : json_null(), "close", "kind",
            db_res_str(res, 8, NULL), "closed_at", closed, "note", db_res_str(res, 10, NULL),
            "runner", db_res_str(res, 11, NULL), "error", error ? json_string(error) : json_null(),
            "reports", reports);
        json_object_set_new(run, "reissue_of",
                            db_res_i64(res, 13) ? json_integer(db_res_i64(res, 13)) : json_null());
        json_object_set_new(run, "skipped", json_array());
        json_array_append_new(list, run);
    }
    /* The recipients each run skipped (opted out). */
    db_res_t *skipped = NULL;
    rc = db_exec(db,
                 "SELECT d.run_id, d.target, d.last_error FROM deliveries d JOIN schedule_runs s "
                 "ON s.tenant_id = d.tenant_id AND s.id = d.run_id WHERE d.tenant_id = ? AND "
                 "s.schedule = ? AND d.status = 'skipped' ORDER BY d.id",
                 p, 2, &skipped);
    while (rc == ST_OK && db_res_next(skipped)) {
        size_t i;
        json_t *run;
        json_array_foreach(list, i, run)
        {
            if (json_integer_value(json_object_get(run, "id")) == db_res_i64(skipped, 0))
                json_array_append_new(json_object_get(run, "skipped"),
                                      json_pack("{s:s, s:s}", "to", db_res_str(skipped, 1, NULL),
                                                "reason", db_res_str(skipped, 2, NULL)));
        }
    }
    db_res_free(skipped);
    if (rc != ST_OK) {
        json_decref(list);
        goto done;
    }
    /* Attach each run's reports. */
    while (db_res_next(reps)) {
        int64_t run_id = db_res_i64(reps, 0);
        size_t i;
        json_t *run;
        json_array_foreach(list, i, run)
        {
            if (json_integer_value(json_object_get(run, "id")) != run_id)
                continue;
            const char *st = db_res_str(reps, 3, NULL);
            json_array_append_new(
                json_object_get(run, "reports"),
                json_pack("{s:s, s:I, s:s}", "template", db_res_str(reps, 1, NULL), "report_id",
                          (json_int_t)db_res_i64(reps, 2), "status", st ? st : "deleted"));
        }
    }
    *out = list;
done:
    db_res_free(res);
    db_res_free(reps);
    return rc;
}

int sstore_deliveries(db_t *db, const tenant_t *t, const char *name, json_t **out)
{
    *out = NULL;
    db_res_t *res = NULL, *att = NULL;
    db_val_t p[] = {db_u64(t->id), name ? db_str(name) : db_null()};
    int rc = db_exec(db,
                     "SELECT id, run_id, schedule, report_id, channel, target, lang, status, "
                     "attempts, next_attempt_at, last_error, sent_at FROM deliveries "
                     "WHERE tenant_id = ? AND (? IS NULL OR schedule = ?) ORDER BY id DESC",
                     (db_val_t[]){p[0], p[1], p[1]}, 3, &res);
    if (rc == ST_OK)
        rc = db_exec(db,
                     "SELECT a.delivery_id, a.attempt, a.at, a.outcome, a.detail, a.runner "
                     "FROM delivery_attempts a JOIN deliveries d ON d.tenant_id = a.tenant_id "
                     "AND d.id = a.delivery_id WHERE a.tenant_id = ? AND (? IS NULL OR "
                     "d.schedule = ?) ORDER BY a.delivery_id, a.attempt",
                     (db_val_t[]){p[0], p[1], p[1]}, 3, &att);
    if (rc != ST_OK)
        goto done;
    json_t *list = json_array();
    while (db_res_next(res)) {
        char next[33], sent[33];
        bool pending = strcmp(db_res_str(res, 7, NULL), "pending") == 0;
        sstore_time(db_res_i64(res, 9), next);
        sstore_time(db_res_i64(res, 11), sent);
        const char *last = db_res_str(res, 10, NULL);
        json_array_append_new(
            list,
            json_pack("{s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:[]}", "id",
                      (json_int_t)db_res_i64(res, 0), "run_id", (json_int_t)db_res_i64(res, 1),
                      "schedule", db_res_str(res, 2, NULL), "report_id",
                      (json_int_t)db_res_i64(res, 3), "channel", db_res_str(res, 4, NULL), "to",
                      db_res_str(res, 5, NULL), "lang", db_res_str(res, 6, NULL), "status",
                      db_res_str(res, 7, NULL), "attempts", (json_int_t)db_res_i64(res, 8),
                      "next_attempt_at", pending ? json_string(next) : json_null(), "last_error",
                      last ? json_string(last) : json_null(), "sent_at",
                      sent[0] ? json_string(sent) : json_null(), "history"));
    }
    while (db_res_next(att)) {
        int64_t did = db_res_i64(att, 0);
        size_t i;
        json_t *d;
        char at[33];
        sstore_time(db_res_i64(att, 2), at);
        json_array_foreach(list, i, d)
        {
            if (json_integer_value(json_object_get(d, "id")) == did)
                json_array_append_new(json_object_get(d, "history"),
                                      json_pack("{s:I, s:s, s:s, s:s, s:s}", "attempt",
                                                (json_int_t)db_res_i64(att, 1), "at", at, "outcome",
                                                db_res_str(att, 3, NULL), "detail",
                                                db_res_str(att, 4, NULL), "runner",
                                                db_res_str(att, 5, NULL)));
        }
    }
    *out = list;
done:
    db_res_free(res);
    db_res_free(att);
    return rc;
}

int sstore_retry(db_t *db, const tenant_t *t, const char *actor, uint64_t id, int64_t now)
{
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(t->id), db_u64(id)};
    rc = db_exec(db, "SELECT status FROM deliveries WHERE tenant_id = ? AND id = ? FOR UPDATE", p,
                 2, &res);
    if (rc == ST_OK && !db_res_next(res))
        rc = ST_ERR_NOT_FOUND;
    if (rc == ST_OK && strcmp(db_res_str(res, 0, NULL), "dead") != 0 &&
        strcmp(db_res_str(res, 0, NULL), "pending") != 0)
        rc = ST_ERR_CONFLICT;
    if (rc == ST_OK) {
        db_val_t u[] = {db_i64(now), db_u64(t->id), db_u64(id)};
        rc = db_exec(db,
                     "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, "
                     "retried_at_attempt = attempts WHERE tenant_id = ? AND id = ?",
                     u, 3, NULL);
    }
    char object[48];
    snprintf(object, sizeof object, "delivery:%" PRIu64, id);
    if (rc == ST_OK)
        rc = audit_append(db, actor, t->id, "delivery.retry", object, "{}");
    if (rc == ST_OK)
        rc = db_commit(db);
    if (rc != ST_OK)
        db_rollback(db);
    db_res_free(res);
    return rc;
}

int sstore_close_period(db_t *db, const tenant_t *t, const char *actor, const char *period,
                        int64_t now, json_t **out)
{
    *out = NULL;
    sched_period_t p;
    if (sched_period_parse(period, &p) != ST_OK)
        return ST_ERR_INVALID;
    int rc = db_begin(db);
    if (rc != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(t->id), db_str(period), db_i64(now), db_str(actor)};
    rc = db_exec(db,
                 "INSERT INTO period_closes (tenant_id, period, closed_at, closed_by) "
                 "VALUES (?,?,?,?)",
                 v, 4, NULL);
    bool already = rc == ST_ERR_CONFLICT;
    char object[32];
    snprintf(object, sizeof object, "period:%s", period);
    if (rc == ST_OK)
        rc = audit_append(db, actor, t->id, "period.close", object, "{}");
    if (already)
        rc = ST_OK;
    if (rc == ST_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    db_res_t *res = NULL;
    if (rc == ST_OK)
        rc = db_exec(db,
                     "SELECT closed_at, closed_by FROM period_closes WHERE tenant_id = ? "
                     "AND period = ?",
                     v, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        char at[33];
        sstore_time(db_res_i64(res, 0), at);
        *out = json_pack("{s:s, s:s, s:s}", "period", period, "closed_at", at, "closed_by",
                         db_res_str(res, 1, NULL));
    }
    db_res_free(res);
    return rc;
}

int sstore_period_close(db_t *db, uint64_t tenant_id, const char *timezone, const tz_t *tz,
                        sched_period_t p, long long grace_h, sstore_close_t *out)
{
    memset(out, 0, sizeof *out);
    char period[8];
    sched_period_format(p, period);
    db_res_t *res = NULL;
    db_val_t k[] = {db_u64(tenant_id), db_str(period)};
    int rc = db_exec(db,
                     "SELECT closed_at, closed_by FROM period_closes WHERE tenant_id = ? "
                     "AND period = ?",
                     k, 2, &res);
    if (rc == ST_OK && db_res_next(res)) {
        out->closed_at = db_res_i64(res, 0);
        out->explicit_close = true;
        snprintf(out->note, sizeof out->note, "closed by %s", db_res_str(res, 1, NULL));
        db_res_free(res);
        return ST_OK;
    }
    db_res_free(res);
    res = NULL;
    if (rc != ST_OK)
        return rc;
    /* The last batch touching the period, of any kind (report_stale.h). */
    int64_t to = tz_month_start(tz, p.y, p.m + 1);
    rstale_batch_t *b = NULL;
    size_t n = 0;
    rc = rstale_batches(db, tenant_id, timezone, period, 0, 0, &b, &n);
    size_t last = 0;
    for (size_t i = 1; i < n; i++)
        if (b[i].received_at >= b[last].received_at)
            last = i;
    if (rc == ST_OK && n > 0) {
        out->closed_at = b[last].received_at + grace_h * 3600;
        char at[33];
        sstore_time(b[last].received_at, at);
        snprintf(out->note, sizeof out->note,
                 "grace of %lld h after batch %" PRIu64 " (received %s), the last touching it",
                 grace_h, b[last].id, at);
    } else if (rc == ST_OK) {
        out->closed_at = to + grace_h * 3600;
        snprintf(out->note, sizeof out->note,
                 "no batch touched the period: grace of %lld h after its end", grace_h);
    }
    free(b);
    return rc;
}

int sstore_opted_out(db_t *db, uint64_t tenant_id, const char *schedule, const char *email,
                     bool *out)
{
    *out = false;
    db_res_t *res = NULL;
    db_val_t p[] = {db_u64(tenant_id), db_str(schedule), db_str(email)};
    int rc = db_exec(db,
                     "SELECT 1 FROM schedule_optouts WHERE tenant_id = ? AND schedule = ? AND "
                     "email = ?",
                     p, 3, &res);
    *out = rc == ST_OK && db_res_next(res);
    db_res_free(res);
    return rc;
}

int sstore_optout_read(db_t *db, const char *token, int64_t now, sstore_optout_t *out)
{
    memset(out, 0, sizeof *out);
    uint8_t key[SRVKEY_LEN];
    int rc = srvkey_get(db, SCHED_UNSUB_KEY, now, key);
    if (rc != ST_OK)
        return rc;
    rc = unsub_token_read(key, sizeof key, token, &out->who);
    if (rc != ST_OK)
        return ST_ERR_NOT_FOUND; /* not one of ours: the same answer as a bad link */
    rc = tenant_by_id(db, out->who.tenant_id, &out->tenant);
    if (rc != ST_OK)
        return rc;
    return sstore_opted_out(db, out->who.tenant_id, out->who.schedule, out->who.email,
                            &out->already);
}

int sstore_optout(db_t *db, const char *token, const char *via, int64_t now, sstore_optout_t *out)
{
    int rc = sstore_optout_read(db, token, now, out);
    if (rc != ST_OK || out->already)
        return rc;
    if ((rc = db_begin(db)) != ST_OK)
        return rc;
    db_val_t v[] = {db_u64(out->who.tenant_id), db_str(out->who.schedule), db_str(out->who.email),
                    db_i64(now), db_str(via)};
    rc = db_exec(db,
                 "INSERT INTO schedule_optouts (tenant_id, schedule, email, opted_at, via) "
                 "VALUES (?,?,?,?,?)",
                 v, 5, NULL);
    bool already = rc == ST_ERR_CONFLICT; /* the same link twice at once */
    char actor[300], object[96];
    snprintf(actor, sizeof actor, "recipient:%s", out->who.email);
    snprintf(object, sizeof object, "schedule:%s", out->who.schedule);
    json_t *dj = json_pack("{s:s, s:s}", "email", out->who.email, "via", via);
    char *detail = jsonutil_dumps(dj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(dj);
    if (rc == ST_OK)
        rc = audit_append(db, actor, out->who.tenant_id, "schedule.optout", object,
                          detail ? detail : "{}");
    free(detail);
    if (rc == ST_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (already) {
        out->already = true;
        rc = ST_OK;
    }
    return rc;
}
