/*
 * test_tmpl.c - the portal's template renderer: escaping by default (hostile
 * values stay text), raw output only where marked, sections, translations,
 * partials, and syntax errors found at parse time.  Expected pages are
 * written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cookie.h"
#include "pwpolicy.h"
#include "status.h"
#include "tmpl.h"

/* Renders text with data (JSON text) and catalogue (JSON text or NULL) into a static buffer. */
static const char *render(const char *text, const char *data, const char *cat)
{
    static char result[8192];
    char err[256] = "";
    tmpl_set_t *s = tmpl_set_new();
    int rc = tmpl_add(s, "page", text, strlen(text), err, sizeof err);
    assert_int_equal(rc, ST_OK);
    json_t *d = json_loads(data, 0, NULL), *c = cat ? json_loads(cat, 0, NULL) : NULL;
    assert_non_null(d);
    buf_t out;
    buf_init(&out, 1 << 20);
    rc = tmpl_render(s, "page", d, c, &out, err, sizeof err);
    assert_int_equal(rc, ST_OK);
    snprintf(result, sizeof result, "%s", buf_cstr(&out));
    buf_free(&out);
    json_decref(d);
    json_decref(c);
    tmpl_set_free(s);
    return result;
}

/* Parses text and returns the status (err kept in a static buffer). */
static int parse_status(const char *text, char *err, size_t errlen)
{
    tmpl_set_t *s = tmpl_set_new();
    int rc = tmpl_add(s, "x", text, strlen(text), err, errlen);
    tmpl_set_free(s);
    return rc;
}

static void test_hostile_values_are_escaped(void **state)
{
    (void)state;
    assert_string_equal(
        render("<p>{{name}}</p>", "{\"name\": \"<script>alert(1)</script>\"}", NULL),
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    assert_string_equal(
        render("<a title=\"{{q}}\">x</a>", "{\"q\": \"\\\"><img src=x onerror=alert(1)>\"}", NULL),
        "<a title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">x</a>");
    assert_string_equal(render("<b class='{{c}}'>", "{\"c\": \"a' onmouseover='x\"}", NULL),
                        "<b class='a&#39; onmouseover=&#39;x'>");
    assert_string_equal(render("{{a}}", "{\"a\": \"Tom & Jerry\"}", NULL), "Tom &amp; Jerry");
    /* A value that looks like a tag is not interpreted again. */
    assert_string_equal(render("{{a}}", "{\"a\": \"{{b}}\", \"b\": \"no\"}", NULL), "{{b}}");
    /* Inside a loop, through a partial, and in a translation's arguments alike. */
    assert_string_equal(render("{{#each xs}}[{{.}}]{{/each}}", "{\"xs\": [\"<i>\", \"&\"]}", NULL),
                        "[&lt;i&gt;][&amp;]");
    assert_string_equal(
        render("{{t hello who}}", "{\"who\": \"<script>\"}", "{\"hello\": \"Hello, {0}!\"}"),
        "Hello, &lt;script&gt;!");
}

static void test_raw_only_where_marked(void **state)
{
    (void)state;
    assert_string_equal(
        render("{{raw svg}}|{{svg}}", "{\"svg\": \"<svg><title>x</title></svg>\"}", NULL),
        "<svg><title>x</title></svg>|&lt;svg&gt;&lt;title&gt;x&lt;/title&gt;&lt;/"
        "svg&gt;");
}

static void test_values_and_lookup(void **state)
{
    (void)state;
    assert_string_equal(render("{{n}} {{r}} {{h}} {{b}} {{z}} {{missing}}.",
                               "{\"n\": 42, \"r\": 0.5, \"h\": 3.0, \"b\": true, \"z\": null}",
                               NULL),
                        "42 0.5 3 true  ."); /* null and absent: nothing */
    assert_string_equal(render("{{t.name}} {{t.tz}}",
                               "{\"t\": {\"name\": \"Acme\", \"tz\": \"Asia/Shanghai\"}}", NULL),
                        "Acme Asia/Shanghai");
    /* Outer names are seen from inside a loop; the item's own names win. */
    assert_string_equal(render("{{#each rs}}{{slug}}:{{id}};{{/each}}",
                               "{\"slug\": \"acme\", \"id\": 0, \"rs\": [{\"id\": 1}, {\"id\": 2, "
                               "\"slug\": \"b\"}]}",
                               NULL),
                        "acme:1;b:2;");
}

static void test_sections(void **state)
{
    (void)state;
    const char *t = "{{#if a}}A{{else}}not A{{/if}}/{{#unless a}}U{{/unless}}";
    assert_string_equal(render(t, "{\"a\": 1}", NULL), "A/");
    assert_string_equal(render(t, "{\"a\": 0}", NULL), "not A/U");
    assert_string_equal(render(t, "{\"a\": \"\"}", NULL), "not A/U");
    assert_string_equal(render(t, "{\"a\": []}", NULL), "not A/U");
    assert_string_equal(render(t, "{\"a\": [0]}", NULL), "A/");
    assert_string_equal(render(t, "{}", NULL), "not A/U");
    assert_string_equal(render("{{#each xs}}{{.}},{{else}}none{{/each}}", "{\"xs\": []}", NULL),
                        "none");
    assert_string_equal(
        render("{{#each xs}}{{#each .}}{{.}}{{/each}};{{/each}}", "{\"xs\": [[1, 2], [3]]}", NULL),
        "12;3;");
    assert_string_equal(render("a{{! a comment }}b", "{}", NULL), "ab");
}

static void test_translations(void **state)
{
    (void)state;
    const char *cat = "{\"k\": \"Signed <in>\", \"st.met\": \"Met\", \"two\": \"{1} then {0}\"}";
    assert_string_equal(render("{{t k}}", "{}", cat), "Signed &lt;in&gt;");
    assert_string_equal(render("{{tv s}}", "{\"s\": \"st.met\"}", cat), "Met");
    assert_string_equal(render("{{t two a b}}", "{\"a\": 1, \"b\": \"x\"}", cat), "x then 1");
    /* A missing key shows itself, so a gap in a catalogue is visible, not blank. */
    assert_string_equal(render("{{t nope.key}}", "{}", cat), "nope.key");
}

static void test_partials(void **state)
{
    (void)state;
    tmpl_set_t *s = tmpl_set_new();
    char err[256] = "";
    const char *layout = "<h1>{{title}}</h1>{{> body}}";
    const char *body = "<p>{{msg}}</p>";
    const char *loop = "{{> loop}}";
    assert_int_equal(tmpl_add(s, "layout", layout, strlen(layout), err, sizeof err), ST_OK);
    assert_int_equal(tmpl_add(s, "body", body, strlen(body), err, sizeof err), ST_OK);
    assert_int_equal(tmpl_add(s, "loop", loop, strlen(loop), err, sizeof err), ST_OK);
    json_t *d = json_pack("{s:s, s:s}", "title", "T<", "msg", "m>");
    buf_t out;
    buf_init(&out, 1 << 16);
    assert_int_equal(tmpl_render(s, "layout", d, NULL, &out, err, sizeof err), ST_OK);
    assert_string_equal(buf_cstr(&out), "<h1>T&lt;</h1><p>m&gt;</p>");
    buf_reset(&out);
    /* A partial that includes itself stops at the depth limit. */
    assert_int_equal(tmpl_render(s, "loop", d, NULL, &out, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(tmpl_render(s, "nope", d, NULL, &out, err, sizeof err), ST_ERR_NOT_FOUND);
    /* A page past the buffer's cap fails; it is not cut short silently. */
    buf_t small;
    buf_init(&small, 8);
    assert_int_equal(tmpl_render(s, "layout", d, NULL, &small, err, sizeof err), ST_ERR_TOO_LARGE);
    buf_free(&small);
    buf_free(&out);
    json_decref(d);
    tmpl_set_free(s);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(parse_status("a {{b", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{#if a}}x", err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "not closed"));
    assert_int_equal(parse_status("{{#if a}}x{{/each}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{/if}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{else}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{#if a}}{{else}}{{else}}{{/if}}", err, sizeof err),
                     ST_ERR_INVALID);
    assert_int_equal(parse_status("{{}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{{x}}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{a b}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("{{raw}}", err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("line1\nline2 {{x<y}}", err, sizeof err), ST_ERR_INVALID);
    assert_non_null(strstr(err, "line 2"));
    char deep[2048] = "";
    for (int i = 0; i < TMPL_MAX_DEPTH + 1; i++)
        strncat(deep, "{{#if a}}", sizeof deep - strlen(deep) - 1);
    assert_int_equal(parse_status(deep, err, sizeof err), ST_ERR_INVALID);
    assert_int_equal(parse_status("plain { text } with {single} braces", err, sizeof err), ST_OK);
}

static void test_password_rules(void **state)
{
    (void)state;
    assert_int_equal(pwpolicy_check("short", NULL), PWPOLICY_TOO_SHORT);
    assert_int_equal(pwpolicy_check("elevenchars", NULL), PWPOLICY_TOO_SHORT);
    assert_int_equal(pwpolicy_check("twelve chars", NULL), PWPOLICY_OK);
    /* Twelve characters of Chinese are 36 bytes: characters count, not bytes. */
    assert_int_equal(pwpolicy_check("\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b", NULL),
                     PWPOLICY_TOO_SHORT);
    assert_int_equal(pwpolicy_check("Password1234", NULL), PWPOLICY_COMMON);
    assert_int_equal(pwpolicy_check("QWERTY123456", NULL), PWPOLICY_COMMON);
    assert_int_equal(pwpolicy_check("aaaaaaaaaaaaaaaa", NULL), PWPOLICY_COMMON);
    assert_int_equal(pwpolicy_check("jane.doe.1984@example.com", "jane.doe.1984@example.com"),
                     PWPOLICY_LIKE_EMAIL);
    assert_int_equal(pwpolicy_check("jane.doe1984x", "jane.doe1984x@example.com"),
                     PWPOLICY_LIKE_EMAIL);
    assert_int_equal(pwpolicy_check("valid password \xff", NULL), PWPOLICY_NOT_UTF8);
    char longpw[300];
    memset(longpw, 'x', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    longpw[0] = 'y';
    assert_int_equal(pwpolicy_check(longpw, NULL), PWPOLICY_TOO_LONG);
}

static void test_cookies(void **state)
{
    (void)state;
    char v[64];
    assert_true(cookie_get("a=1; slattest_session=abc; b=2", "slattest_session", v, sizeof v));
    assert_string_equal(v, "abc");
    assert_true(cookie_get("slattest_lang=\"zh\"", "slattest_lang", v, sizeof v));
    assert_string_equal(v, "zh");
    /* A name that only ends like the one asked for is another cookie. */
    assert_false(cookie_get("xslattest_session=abc", "slattest_session", v, sizeof v));
    assert_false(cookie_get("slattest_session=", "slattest_session", v, sizeof v));
    assert_false(cookie_get(NULL, "a", v, sizeof v));
    assert_false(cookie_get("a=0123456789", "a", v, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_values_are_escaped),
        cmocka_unit_test(test_raw_only_where_marked),
        cmocka_unit_test(test_values_and_lookup),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_translations),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test(test_cookies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
