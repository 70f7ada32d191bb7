/*
 * cli_user.c - `slattest user add|disable|list`: the people who log in to
 * the portal (people.h).  Talks to the database directly.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "people.h"
#include "jsonutil.h"
#include "status.h"

static const char user_usage[] =
    "usage: slattest user add EMAIL --role admin|manager|ingest|client|auditor [--tenant SLUG]... "
    "[--password-stdin]\n"
    "       slattest user disable EMAIL\n"
    "       slattest user list\n"
    "add prints a one-time link to set the password (valid 24 h), or with --password-stdin\n"
    "reads the password from the first line of standard input.\n";

/* Reads the first line of stdin (without its newline) into out; false when too long or absent. */
static bool read_password(char *out, size_t outlen)
{
    if (!fgets(out, (int)outlen, stdin))
        return false;
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n')
        out[--n] = '\0';
    else if (!feof(stdin))
        return false; /* longer than the buffer */
    if (n && out[n - 1] == '\r')
        out[--n] = '\0';
    return true;
}

/* user add EMAIL --role R [--tenant S]... [--password-stdin] */
static int cli_user_add(const config_t *cfg, int argc, char **argv)
{
    const char *email = argv[2], *role_name = NULL;
    const char **slugs = calloc((size_t)argc, sizeof *slugs);
    size_t n = 0;
    bool from_stdin = false;
    int rc = 2;
    char password[PEOPLE_HASH_TEXT_MAX * 4] = "";
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--password-stdin") == 0)
            from_stdin = true;
        else if (i + 1 < argc && strcmp(argv[i], "--role") == 0)
            role_name = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--tenant") == 0)
            slugs[n++] = argv[++i];
        else
            goto usage;
    }
    role_t role;
    if (!role_name || auth_role_parse(role_name, &role) != ST_OK)
        goto usage;
    if (from_stdin && !read_password(password, sizeof password)) {
        fprintf(stderr, "slattest: --password-stdin: no password line on standard input\n");
        rc = 2;
        goto done;
    }
    db_t *db = cli_open_db(cfg);
    if (!db) {
        rc = 1;
        goto done;
    }
    char link[HASH_TOKEN_LEN + 1] = "", err[1024] = "";
    uint64_t id = 0;
    if (people_add(db, cli_actor(), email, role, slugs, n, from_stdin ? password : NULL, link, &id,
                   err, sizeof err) == ST_OK) {
        if (from_stdin) {
            printf("person %" PRIu64 " (%s) added with a password\n", id, role_name);
        } else {
            printf("%s/set-password?token=%s\n", cfg->public_url, link);
            fprintf(stderr,
                    "person %" PRIu64 " (%s) added: give them this link to set a password; it "
                    "works once, for %d hours, and is shown only this once\n",
                    id, role_name, PEOPLE_LINK_HOURS);
        }
        rc = 0;
    } else {
        fprintf(stderr, "slattest: %s\n", err);
        rc = 1;
    }
    db_close(db);
    goto done;
usage:
    fputs(user_usage, stderr);
done:
    memset(password, 0, sizeof password);
    free(slugs);
    return rc;
}

int cli_user(config_t *cfg, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(user_usage, stdout);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "add") == 0)
        return cli_user_add(cfg, argc, argv);
    if (argc == 3 && strcmp(argv[1], "disable") == 0) {
        db_t *db = cli_open_db(cfg);
        if (!db)
            return 1;
        int rc = people_disable(db, cli_actor(), argv[2]);
        if (rc == ST_OK)
            printf("%s disabled; their sessions have ended\n", argv[2]);
        else
            fprintf(stderr, "slattest: %s: %s\n", argv[2],
                    rc == ST_ERR_NOT_FOUND ? "no such enabled person" : db_error(db));
        db_close(db);
        return rc == ST_OK ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        db_t *db = cli_open_db(cfg);
        if (!db)
            return 1;
        json_t *list = NULL;
        int rc = people_list(db, &list);
        if (rc == ST_OK) {
            size_t i;
            json_t *p;
            json_array_foreach(list, i, p)
            {
                char *line = jsonutil_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
                printf("%s\n", line);
                free(line);
            }
        } else {
            fprintf(stderr, "slattest: %s\n", db_error(db));
        }
        json_decref(list);
        db_close(db);
        return rc == ST_OK ? 0 : 1;
    }
    fputs(user_usage, stderr);
    return 2;
}
