/* tmpl.c - templates that escape by default (see tmpl.h). */
#include "tmpl.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "xmem.h"

#define TMPL_MAX_ARGS 8

typedef enum node_kind {
    N_TEXT,
    N_VAR,
    N_RAW,
    N_T,
    N_TV,
    N_EACH,
    N_IF,
    N_UNLESS,
    N_PARTIAL,
} node_kind;

typedef struct node node_t;

/* A list of nodes. */
typedef struct nodes {
    node_t *v;
    size_t n, cap;
} nodes_t;

struct node {
    node_kind kind;
    char *text;  /* N_TEXT: the text; else the name or key */
    size_t len;  /* N_TEXT: its length */
    char **args; /* N_T: the names of the values for {0}, {1}... */
    size_t nargs;
    nodes_t body, alt; /* sections: the body and the {{else}} part */
};

typedef struct tmpl {
    char *name;
    nodes_t root;
} tmpl_t;

struct tmpl_set {
    tmpl_t *v;
    size_t n;
};

/* Appends a zeroed node to a list and returns it. */
static node_t *nodes_push(nodes_t *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    memset(&l->v[l->n], 0, sizeof l->v[0]);
    return &l->v[l->n++];
}

/* Frees the nodes of a list (recursively) and the list. */
static void nodes_free(nodes_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        node_t *x = &l->v[i];
        free(x->text);
        for (size_t k = 0; k < x->nargs; k++)
            free(x->args[k]);
        free(x->args);
        nodes_free(&x->body);
        nodes_free(&x->alt);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

tmpl_set_t *tmpl_set_new(void)
{
    return xcalloc(1, sizeof(tmpl_set_t));
}

void tmpl_set_free(tmpl_set_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        nodes_free(&s->v[i].root);
    }
    free(s->v);
    free(s);
}

/* True for a name: [A-Za-z0-9_.@-]+ (or "." alone). */
static bool name_valid(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '@' || c == '-'))
            return false;
    }
    return true;
}

/* The parser's state: where it is and the open sections. */
typedef struct parser {
    const char *s, *end;
    int line;
    nodes_t *stack[TMPL_MAX_DEPTH + 1]; /* the list each level appends to */
    node_t *open[TMPL_MAX_DEPTH + 1];   /* the section node of each level (0: none) */
    int depth;
    char *err;
    size_t errlen;
} parser_t;

/* Counts the newlines of n bytes at p into the parser's line. */
static void count_lines(parser_t *ps, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ps->line += p[i] == '\n';
}

/* Splits a tag's inside into words at spaces; returns how many (at most max). */
static size_t split_words(const char *p, size_t n, const char **w, size_t *wl, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
            i++;
        if (i >= n)
            break;
        size_t st = i;
        while (i < n && !(p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
            i++;
        if (k == max)
            return max + 1;
        w[k] = p + st;
        wl[k] = i - st;
        k++;
    }
    return k;
}

/* Handles one tag (the text between the braces); ST_ERR_INVALID with err set. */
static int parse_tag(parser_t *ps, const char *p, size_t n)
{
    nodes_t *cur = ps->stack[ps->depth];
    if (n > 0 && p[0] == '!')
        return ST_OK; /* a comment */
    const char *w[TMPL_MAX_ARGS + 3];
    size_t wl[TMPL_MAX_ARGS + 3];
    size_t nw = split_words(p, n, w, wl, TMPL_MAX_ARGS + 2);
    if (nw == 0) {
        st_errf(ps->err, ps->errlen, "line %d: empty tag", ps->line);
        return ST_ERR_INVALID;
    }
    if (nw > TMPL_MAX_ARGS + 2) {
        st_errf(ps->err, ps->errlen, "line %d: too many words in a tag", ps->line);
        return ST_ERR_INVALID;
    }
#define IS(word, lit) (wl[word] == sizeof(lit) - 1 && memcmp(w[word], lit, wl[word]) == 0)
    node_kind k;
    size_t first = 1; /* the word holding the name */
    if (IS(0, "else") && nw == 1) {
        node_t *o = ps->depth ? ps->open[ps->depth] : NULL;
        if (!o || ps->stack[ps->depth] != &o->body) {
            st_errf(ps->err, ps->errlen, "line %d: {{else}} outside a section", ps->line);
            return ST_ERR_INVALID;
        }
        ps->stack[ps->depth] = &o->alt;
        return ST_OK;
    }
    if (w[0][0] == '/') {
        node_t *o = ps->depth ? ps->open[ps->depth] : NULL;
        static const char *const names[] = {
            [N_EACH] = "/each", [N_IF] = "/if", [N_UNLESS] = "/unless"};
        if (!o || nw != 1 || strlen(names[o->kind]) != wl[0] ||
            memcmp(names[o->kind], w[0], wl[0]) != 0) {
            st_errf(ps->err, ps->errlen, "line %d: {{%.*s}} closes no open section", ps->line,
                    (int)(wl[0] > 20 ? 20 : wl[0]), w[0]);
            return ST_ERR_INVALID;
        }
        ps->depth--;
        return ST_OK;
    }
    if (IS(0, "#each"))
        k = N_EACH;
    else if (IS(0, "#if"))
        k = N_IF;
    else if (IS(0, "#unless"))
        k = N_UNLESS;
    else if (IS(0, "raw"))
        k = N_RAW;
    else if (IS(0, "t"))
        k = N_T;
    else if (IS(0, "tv"))
        k = N_TV;
    else if (IS(0, ">"))
        k = N_PARTIAL;
    else if (w[0][0] == '>' && wl[0] > 1) {
        k = N_PARTIAL;
        w[0]++, wl[0]--, first = 0;
    } else
        k = N_VAR, first = 0;
#undef IS
    if (first >= nw || (k != N_T && nw != first + 1)) {
        st_errf(ps->err, ps->errlen, "line %d: a tag needs exactly one name here", ps->line);
        return ST_ERR_INVALID;
    }
    for (size_t i = first; i < nw; i++) {
        if (!name_valid(w[i], wl[i])) {
            st_errf(ps->err, ps->errlen, "line %d: '%.*s' is not a name", ps->line,
                    (int)(wl[i] > 20 ? 20 : wl[i]), w[i]);
            return ST_ERR_INVALID;
        }
    }
    node_t *x = nodes_push(cur);
    x->kind = k;
    x->text = xstrndup(w[first], wl[first]);
    if (k == N_T && nw > first + 1) {
        x->nargs = nw - first - 1;
        x->args = xcalloc(x->nargs, sizeof *x->args);
        for (size_t i = 0; i < x->nargs; i++)
            x->args[i] = xstrndup(w[first + 1 + i], wl[first + 1 + i]);
    }
    if (k == N_EACH || k == N_IF || k == N_UNLESS) {
        if (ps->depth == TMPL_MAX_DEPTH) {
            st_errf(ps->err, ps->errlen, "line %d: sections nest deeper than %d", ps->line,
                    TMPL_MAX_DEPTH);
            return ST_ERR_INVALID;
        }
        ps->depth++;
        ps->open[ps->depth] = x;
        ps->stack[ps->depth] = &x->body;
    }
    return ST_OK;
}

/* Parses a whole text into root; ST_ERR_INVALID with err set. */
static int parse(const char *text, size_t len, nodes_t *root, char *err, size_t errlen)
{
    parser_t ps = {.s = text, .end = text + len, .line = 1, .err = err, .errlen = errlen};
    ps.stack[0] = root;
    const char *p = text;
    while (p < ps.end) {
        const char *o = NULL;
        for (const char *q = p; q + 1 < ps.end; q++)
            if (q[0] == '{' && q[1] == '{') {
                o = q;
                break;
            }
        size_t tl = (size_t)((o ? o : ps.end) - p);
        if (tl) {
            node_t *x = nodes_push(ps.stack[ps.depth]);
            x->kind = N_TEXT;
            x->text = xstrndup(p, tl);
            x->len = tl;
            count_lines(&ps, p, tl);
        }
        if (!o)
            break;
        const char *c = NULL;
        for (const char *q = o + 2; q + 1 < ps.end; q++)
            if (q[0] == '}' && q[1] == '}') {
                c = q;
                break;
            }
        if (!c) {
            st_errf(err, errlen, "line %d: '{{' without '}}'", ps.line);
            return ST_ERR_INVALID;
        }
        int rc = parse_tag(&ps, o + 2, (size_t)(c - o - 2));
        if (rc != ST_OK)
            return rc;
        count_lines(&ps, o, (size_t)(c + 2 - o));
        p = c + 2;
    }
    if (ps.depth) {
        st_errf(err, errlen, "line %d: section '%s' is not closed", ps.line,
                ps.open[ps.depth]->text);
        return ST_ERR_INVALID;
    }
    return ST_OK;
}

int tmpl_add(tmpl_set_t *s, const char *name, const char *text, size_t len, char *err,
             size_t errlen)
{
    nodes_t root = {0};
    int rc = parse(text, len, &root, err, errlen);
    if (rc != ST_OK) {
        nodes_free(&root);
        return rc;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i].name, name) == 0) {
            nodes_free(&s->v[i].root);
            s->v[i].root = root;
            return ST_OK;
        }
    }
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n].name = xstrdup(name);
    s->v[s->n].root = root;
    s->n++;
    return ST_OK;
}

int tmpl_escape(buf_t *out, const char *text, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (text[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        if (i > run && buf_append(out, text + run, i - run) != ST_OK)
            return ST_ERR_TOO_LARGE;
        if (buf_puts(out, rep) != ST_OK)
            return ST_ERR_TOO_LARGE;
        run = i + 1;
    }
    if (n > run && buf_append(out, text + run, n - run) != ST_OK)
        return ST_ERR_TOO_LARGE;
    return ST_OK;
}

/* The scopes while rendering: innermost last. */
typedef struct scope {
    const json_t *v[TMPL_MAX_DEPTH * (TMPL_MAX_PARTIALS + 1) + 2];
    size_t n;
} scope_t;

/* Looks up a dotted name from the innermost scope outwards; NULL when absent. */
static const json_t *lookup(const scope_t *sc, const char *name)
{
    if (strcmp(name, ".") == 0)
        return sc->n ? sc->v[sc->n - 1] : NULL;
    const char *dot = strchr(name, '.');
    size_t fl = dot ? (size_t)(dot - name) : strlen(name);
    const json_t *v = NULL;
    for (size_t i = sc->n; i-- > 0;) {
        if (json_is_object(sc->v[i]) &&
            (v = json_object_getn((json_t *)(uintptr_t)sc->v[i], name, fl)) != NULL)
            break;
    }
    while (v && dot) {
        const char *seg = dot + 1;
        dot = strchr(seg, '.');
        size_t sl = dot ? (size_t)(dot - seg) : strlen(seg);
        v = json_is_object(v) ? json_object_getn((json_t *)(uintptr_t)v, seg, sl) : NULL;
    }
    return v;
}

/* Truth of a value (see tmpl.h). */
static bool truthy(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return true;
    default:
        return false;
    }
}

/* Writes a scalar value as text, escaped or not. */
static int put_value(buf_t *out, const json_t *v, bool escape)
{
    char num[64];
    const char *t = NULL;
    size_t n = 0;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        t = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        t = num;
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
            n = (size_t)snprintf(num, sizeof num, "%.0f", d);
        else
            n = (size_t)snprintf(num, sizeof num, "%.15g", d);
        t = num;
        break;
    }
    case JSON_TRUE:
        t = "true", n = 4;
        break;
    case JSON_FALSE:
        t = "false", n = 5;
        break;
    default:
        return ST_OK;
    }
    if (escape)
        return tmpl_escape(out, t, n);
    return buf_append(out, t, n) == ST_OK ? ST_OK : ST_ERR_TOO_LARGE;
}

/* Writes catalogue string `key` with {0}.. replaced by the args' values, all escaped. */
static int put_translation(buf_t *out, const json_t *cat, const char *key, const scope_t *sc,
                           char *const *args, size_t nargs)
{
    const json_t *s = cat ? json_object_get(cat, key) : NULL;
    if (!json_is_string(s))
        return tmpl_escape(out, key, strlen(key));
    const char *t = json_string_value(s), *run = t;
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
            size_t i = (size_t)(p[1] - '0');
            if (tmpl_escape(out, run, (size_t)(p - run)) != ST_OK)
                return ST_ERR_TOO_LARGE;
            if (i < nargs && put_value(out, lookup(sc, args[i]), true) != ST_OK)
                return ST_ERR_TOO_LARGE;
            p += 2;
            run = p + 1;
        }
    }
    return tmpl_escape(out, run, strlen(run));
}

/* The renderer's fixed arguments. */
typedef struct render {
    const tmpl_set_t *set;
    const json_t *cat;
    buf_t *out;
    int partials;
    char *err;
    size_t errlen;
} render_t;

static int render_nodes(render_t *r, const nodes_t *l, scope_t *sc);

/* Finds a template of the set by name. */
static const tmpl_t *find(const tmpl_set_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

/* Renders one node. */
static int render_node(render_t *r, const node_t *x, scope_t *sc)
{
    const json_t *v;
    switch (x->kind) {
    case N_TEXT:
        return buf_append(r->out, x->text, x->len) == ST_OK ? ST_OK : ST_ERR_TOO_LARGE;
    case N_VAR:
    case N_RAW:
        return put_value(r->out, lookup(sc, x->text), x->kind == N_VAR);
    case N_T:
        return put_translation(r->out, r->cat, x->text, sc, x->args, x->nargs);
    case N_TV:
        v = lookup(sc, x->text);
        if (!json_is_string(v))
            return ST_OK;
        return put_translation(r->out, r->cat, json_string_value(v), sc, NULL, 0);
    case N_IF:
    case N_UNLESS:
        v = lookup(sc, x->text);
        return render_nodes(r, truthy(v) == (x->kind == N_IF) ? &x->body : &x->alt, sc);
    case N_EACH: {
        v = lookup(sc, x->text);
        if (!json_is_array(v) || json_array_size(v) == 0)
            return render_nodes(r, &x->alt, sc);
        if (sc->n == sizeof sc->v / sizeof sc->v[0])
            return ST_ERR_INVALID;
        for (size_t i = 0; i < json_array_size(v); i++) {
            sc->v[sc->n++] = json_array_get(v, i);
            int rc = render_nodes(r, &x->body, sc);
            sc->n--;
            if (rc != ST_OK)
                return rc;
        }
        return ST_OK;
    }
    case N_PARTIAL: {
        const tmpl_t *t = find(r->set, x->text);
        if (!t) {
            st_errf(r->err, r->errlen, "no template '%s'", x->text);
            return ST_ERR_NOT_FOUND;
        }
        if (r->partials == TMPL_MAX_PARTIALS) {
            st_errf(r->err, r->errlen, "partials nest deeper than %d", TMPL_MAX_PARTIALS);
            return ST_ERR_INVALID;
        }
        r->partials++;
        int rc = render_nodes(r, &t->root, sc);
        r->partials--;
        return rc;
    }
    }
    return ST_ERR_INTERNAL;
}

/* Renders a list of nodes. */
static int render_nodes(render_t *r, const nodes_t *l, scope_t *sc)
{
    for (size_t i = 0; i < l->n; i++) {
        int rc = render_node(r, &l->v[i], sc);
        if (rc != ST_OK) {
            if (rc == ST_ERR_TOO_LARGE)
                st_errf(r->err, r->errlen, "the page is larger than its limit");
            return rc;
        }
    }
    return ST_OK;
}

int tmpl_render(const tmpl_set_t *s, const char *name, const json_t *data, const json_t *catalogue,
                buf_t *out, char *err, size_t errlen)
{
    const tmpl_t *t = find(s, name);
    if (!t) {
        st_errf(err, errlen, "no template '%s'", name);
        return ST_ERR_NOT_FOUND;
    }
    scope_t *sc = xcalloc(1, sizeof *sc);
    sc->v[sc->n++] = data;
    render_t r = {s, catalogue, out, 0, err, errlen};
    int rc = render_nodes(&r, &t->root, sc);
    free(sc);
    return rc;
}
