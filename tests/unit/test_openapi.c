/* test_openapi.c - the API document: every route described, every description a route, and
 * the document built from the route table (paths, methods, roles, security, path parameters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
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
        /* A tenant route answers 404 for what the token may not see; 403 only for an admin
         * token on a tenant route of other roles.  A global route the role may not use: 403. */
        json_t *responses = json_object_get(op, "responses");
        if (r->roles && router_tenant_scoped(r)) {
            assert_non_null(json_object_get(responses, "404"));
            const char *ref =
                json_string_value(json_object_get(json_object_get(responses, "403"), "$ref"));
            if (r->roles & ROLE_ADMIN)
                assert_null(ref);
            else if (!ref || strcmp(ref, "#/components/responses/AdminForbidden") != 0)
                fail_msg("%s %s: no 403 for an admin token", r->method, r->pattern);
        } else if (r->roles) {
            assert_true(json_object_get(responses, "403") != NULL ||
                        (r->roles & ROLES_ANY) == ROLES_ANY);
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

/* True when operation op takes the query parameter `name`. */
static bool has_query(json_t *op, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "in")), "query") == 0 &&
            strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return true;
    }
    return false;
}

/* ?dry_run= is declared on exactly the routes that take it: the uploads and three PUTs. */
static void test_dry_run_routes(void **state)
{
    (void)state;
    static const char *const dry[] = {
        "POST /v1/tenants/{t}/cdrs",
        "POST /v1/tenants/{t}/qa/evaluations",
        "POST /v1/tenants/{t}/qa/calibrations",
        "POST /v1/tenants/{t}/qa/appeals",
        "PUT /v1/tenants/{t}/contract",
        "PUT /v1/tenants/{t}/qa/forms/{form}",
        "PUT /v1/tenants/{t}/qa/inspectors",
    };
    json_t *doc = api_openapi_document();
    assert_non_null(doc);
    size_t found = 0;
    for (size_t i = 0; i < router_route_count(); i++) {
        const route_t *r = router_route(i);
        char name[128];
        snprintf(name, sizeof name, "%s %s", r->method, r->pattern);
        bool want = false;
        for (size_t k = 0; k < sizeof dry / sizeof dry[0]; k++)
            want = want || strcmp(dry[k], name) == 0;
        if (has_query(operation_of(doc, r), "dry_run") != want)
            fail_msg("%s: dry_run %s", name, want ? "missing" : "where no handler reads it");
        found += want;
    }
    assert_int_equal(found, sizeof dry / sizeof dry[0]);
    json_decref(doc);
}

/* The error's details are an object with the members the server writes; receipts have the
 * members of a dry run, periods, warnings and a damaged queue_log. */
static void test_error_and_receipt_schemas(void **state)
{
    (void)state;
    json_t *doc = api_openapi_document();
    assert_non_null(doc);
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *details = json_object_get(json_object_get(schemas, "ErrorDetails"), "properties");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(schemas, "ErrorDetails"), "type")),
        "object");
    static const char *const members[] = {"field", "valid",     "errors",
                                          "count", "truncated", "roles"};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (!json_object_get(details, members[i]))
            fail_msg("ErrorDetails has no %s", members[i]);
    static const char *const receipts[] = {"Receipt", "QaReceipt"};
    static const char *const common[] = {"dry_run", "would_commit", "periods", "warnings",
                                         "batch_id"};
    for (size_t i = 0; i < 2; i++) {
        json_t *props = json_object_get(json_object_get(schemas, receipts[i]), "properties");
        for (size_t k = 0; k < sizeof common / sizeof common[0]; k++)
            if (!json_object_get(props, common[k]))
                fail_msg("%s has no %s", receipts[i], common[k]);
    }
    json_t *qlog = json_object_get(
        json_object_get(json_object_get(schemas, "Receipt"), "properties"), "queue_log");
    assert_non_null(json_object_get(json_object_get(qlog, "properties"), "damaged"));
    assert_non_null(json_object_get(json_object_get(qlog, "properties"), "damaged_lines"));
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
        cmocka_unit_test(test_dry_run_routes),
        cmocka_unit_test(test_error_and_receipt_schemas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
