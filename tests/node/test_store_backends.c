/*
 * test_store_backends.c - the table of storage backends and the runner of
 * the conformance suites (see test_store_backends.h).
 */
#include "test_store_backends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite: a database file in the scratch directory, named by its scheme. */
static bool sqlite_uri(const char *dir, const char *name, char *uri, size_t cap)
{
    int n = snprintf(uri, cap, "sqlite:%s/%s.db", dir, name);

    return n > 0 && (size_t)n < cap;
}

const struct tb_backend tb_backends[] = {
    {"sqlite", sqlite_uri, NULL},
};
const size_t tb_nbackends = sizeof(tb_backends) / sizeof(tb_backends[0]);

static const struct tb_backend *current;

const struct tb_backend *tb_named(const char *name)
{
    for (size_t i = 0; i < tb_nbackends; i++)
        if (strcmp(tb_backends[i].name, name) == 0)
            return &tb_backends[i];
    return NULL;
}

void tb_each(void (*fn)(const struct tb_backend *b))
{
    for (size_t i = 0; i < tb_nbackends; i++) {
        current = &tb_backends[i];
        fn(current);
    }
    current = NULL;
}

bool tb_scratch_dir(const char *tag, char *dir, size_t cap)
{
    int n = snprintf(dir, cap, "/tmp/hh_%s_XXXXXX", tag);

    return n > 0 && (size_t)n < cap && mkdtemp(dir) != NULL;
}

bool tb_check(bool ok, const char *expr, const char *file, int line)
{
    char named[512];

    if (ok || current == NULL)
        return hh_test_check(ok, expr, file, line) != 0;
    snprintf(named, sizeof(named), "[%s] %s", current->name, expr);
    return hh_test_check(0, named, file, line) != 0;
}
