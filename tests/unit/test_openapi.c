/* test_openapi.c - the API document: every route described, every description a route, and
 * the document built from the route table (paths, methods, roles, security, path parameters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api_openapi.h"
#include "auth.h"
#include "router.h"
#include "status.h"

/* The description table and the route table name the same routes. */
static void test_every_route_described(void **state)
{
    (void)state;
    char err[256] = "";
    int rc = api_openapi_check(err, sizeof err);
    if (rc != ST_OK)
        fail_msg("%s", err);
}

/* The operation of route r in the document, or NULL. */
static json_t *operation_of(json_t *doc, const route_t *r)
{
    char method[16];
    size_t k = 0;
    for (; r->method[k] && k + 1 < sizeof method; k++)
        method[k] = (char)(r->method[k] | 0x20);
    method[k] = '\0';
    return json_object_get(json_object_get(json_object_get(doc, "paths"), r->pattern), method);
}

/* Every route is an operation with its roles, its security and its path parameters. */
static void test_document_from_route_table(void **state)
{
    (void)state;
    json_t *doc = api_openapi_document();
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    size_t ops = 0;
    for (size_t i = 0; i < router_route_count(); i++) {
        const route_t *r = router_route(i);
        json_t *op = operation_of(doc, r);
        if (!op)
            fail_msg("%s %s is not in the document", r->method, r->pattern);
        ops++;
        json_t *want = router_roles_json(r->roles);
        assert_true(json_equal(json_object_get(op, "x-roles"), want));
        json_decref(want);
        json_t *sec = json_object_get(op, "security");
        assert_int_equal(json_array_size(sec), r->roles ? 1 : 0);
        /* One required path parameter per {name} of the pattern. */
        size_t braces = 0;
        for (const char *p = r->pattern; *p; p++)
            braces += *p == '{';
        json_t *params = json_object_get(op, "parameters");
        size_t in_path = 0, j;
        json_t *p;
        json_array_foreach(params, j, p)
        {
            if (strcmp(json_string_value(json_object_get(p, "in")), "path") == 0) {
                char needle[40];
                snprintf(needle, sizeof needle, "{%s}",
                         json_string_value(json_object_get(p, "name")));
                assert_non_null(strstr(r->pattern, needle));
                assert_true(json_is_true(json_object_get(p, "required")));
                in_path++;
            }
        }
        assert_int_equal(in_path, braces);
        /* A tenant route answers 404 for what the token may not see, never 403. */
        json_t *responses = json_object_get(op, "responses");
        if (r->roles && router_tenant_scoped(r)) {
            assert_non_null(json_object_get(responses, "404"));
            assert_null(json_object_get(responses, "403"));
        }
        if (r->roles == 0)
            assert_null(json_object_get(responses, "401"));
    }
    /* Nothing else: the operations are exactly the routes. */
    size_t in_doc = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        in_doc += json_object_size(item);
    }
    assert_int_equal(in_doc, ops);
    /* The document's own route needs no token. */
    json_t *self =
        json_object_get(json_object_get(json_object_get(doc, "paths"), "/v1/openapi.json"), "get");
    assert_non_null(self);
    assert_int_equal(json_array_size(json_object_get(self, "security")), 0);
    json_decref(doc);
}

/* operationIds are unique. */
static void test_operation_ids_unique(void **state)
{
    (void)state;
    json_t *doc = api_openapi_document();
    assert_non_null(doc);
    json_t *seen = json_object();
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_object_foreach(item, method, op)
        {
            const char *id = json_string_value(json_object_get(op, "operationId"));
            assert_non_null(id);
            if (json_object_get(seen, id))
                fail_msg("operationId %s twice", id);
            json_object_set_new(seen, id, json_true());
        }
    }
    json_decref(seen);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_described),
        cmocka_unit_test(test_document_from_route_table),
        cmocka_unit_test(test_operation_ids_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
