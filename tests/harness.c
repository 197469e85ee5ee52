/*
 * harness.c - the runner behind harness.h. Tests run in registration order
 * (sorted by name for stable output); each test's failed checks are printed
 * as they happen.
 */
#include "harness.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TESTS 1024

struct test {
    const char *name;
    void (*fn)(void);
};

static struct test tests[MAX_TESTS];
static size_t ntests;
static const char *current;
static int current_failed;

void hh_test_register(const char *name, void (*fn)(void))
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

int hh_test_check(int ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        current_failed++;
        printf("  FAIL %s: %s:%d: %s\n", current, file, line, expr);
    }
    return ok;
}

void hh_test_note(const char *fmt, ...)
{
    va_list ap;
    printf("  note %s: ", current);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

char *hh_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

const char *hh_test_vector_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", HH_VECTORS_DIR, rel);
    return path;
}

void hh_test_rmdir(const char *dir)
{
    char p[4096];
    struct dirent *d;
    DIR *dh = opendir(dir);

    if (dh == NULL)
        return;
    while ((d = readdir(dh)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
        unlink(p);
    }
    closedir(dh);
    rmdir(dir);
}

uint64_t hh_test_rand(void)
{
    static uint64_t state = 0x9e3779b97f4a7c15u;
    uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i]) != NULL)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    qsort(tests, ntests, sizeof(tests[0]), by_name);
    for (size_t i = 0; i < ntests; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        current = tests[i].name;
        current_failed = 0;
        tests[i].fn();
        if (current_failed == 0) {
            passed++;
            printf("ok   %s\n", current);
        } else {
            failed++;
            printf("FAIL %s (%d checks)\n", current, current_failed);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
