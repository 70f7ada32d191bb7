/*
 * tmpl.h - the portal's HTML templates: a small Mustache-like language that
 * ESCAPES BY DEFAULT.  Every value substituted is HTML-escaped (& < > " '
 * become entities); raw output is the marked exception, for HTML the
 * server built itself (an SVG chart): {{raw name}}.
 *
 *   {{name}}  {{a.b}}  {{.}}        a value from the data (escaped)
 *   {{raw name}}                    the same, not escaped
 *   {{t key}}  {{t key a b}}        a string of the catalogue (escaped);
 *                                   "{0}", "{1}"... in it take the values
 *                                   of a, b (escaped)
 *   {{tv name}}                     the catalogue string whose key is the
 *                                   value of name (escaped)
 *   {{#each list}}...{{else}}...{{/each}}   once per element of an array
 *                                   (the element is the innermost scope);
 *                                   the else part when it is empty
 *   {{#if name}}...{{else}}...{{/if}}, {{#unless name}}...{{/unless}}
 *   {{> partial}}                   another template of the same set
 *   {{! a comment }}
 *
 * A name is looked up from the innermost scope outwards (its first
 * segment), then segment by segment.  Truth: not absent, null, false, "",
 * 0, or an empty array or object.  A number is written as an integer when
 * it is one ("%.15g" otherwise); true and false as "true" and "false";
 * arrays and objects as nothing.  A missing catalogue key writes the key.
 *
 * Parsing checks the whole syntax (every tag known and closed in order,
 * names of [A-Za-z0-9_.@-], nesting at most TMPL_MAX_DEPTH), so a broken
 * template fails at start-up, not on a page.  A tmpl_set_t is read-only
 * after it is built: any number of threads may render from it at once.
 * Pure: no I/O.
 */
#ifndef SLT_TMPL_H
#define SLT_TMPL_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

#define TMPL_MAX_DEPTH    32 /* nested sections in one template */
#define TMPL_MAX_PARTIALS 16 /* partials within partials while rendering */

typedef struct tmpl_set tmpl_set_t;

/* A new empty set; free it with tmpl_set_free(). */
tmpl_set_t *tmpl_set_new(void);
/* Frees a set and every template in it; NULL does nothing. */
void tmpl_set_free(tmpl_set_t *s);

/*
 * Parses text (len bytes, copied) as the template `name` (replacing one of
 * that name).  ST_ERR_INVALID with the line and reason in err.
 */
int tmpl_add(tmpl_set_t *s, const char *name, const char *text, size_t len, char *err,
             size_t errlen);

/*
 * Renders template `name` with data (any JSON value; usually an object)
 * and catalogue (a JSON object of key -> string, or NULL), appending to
 * out.  ST_ERR_NOT_FOUND (err names it) for an unknown template or
 * partial, ST_ERR_TOO_LARGE when out reaches its cap, ST_ERR_INVALID when
 * partials nest deeper than TMPL_MAX_PARTIALS.  Nothing is modified but out.
 */
int tmpl_render(const tmpl_set_t *s, const char *name, const json_t *data, const json_t *catalogue,
                buf_t *out, char *err, size_t errlen);

/* Appends n bytes of text HTML-escaped. */
int tmpl_escape(buf_t *out, const char *text, size_t n);

#endif
