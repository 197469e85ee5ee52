/*
 * harness.h - the tiny test harness of henhouse.
 *
 * TEST(name) { ... } defines and registers a test; CHECK(cond) records a
 * failure with its location and carries on; a test passes when none of its
 * checks failed. The runner takes optional substrings to select tests and
 * ends with the line "N passed, N failed" (tests, not checks).
 */
#ifndef HH_TEST_HARNESS_H
#define HH_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>

void hh_test_register(const char *name, void (*fn)(void));
int hh_test_check(int ok, const char *expr, const char *file, int line);
/* Logs an extra note under the current test, e.g. which vector failed. */
void hh_test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##_register(void)                                 \
    {                                                                                              \
        hh_test_register(#name, name);                                                             \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)    hh_test_check(!!(cond), #cond, __FILE__, __LINE__)
#define CHECK_OK(expr) hh_test_check((expr) == HH_OK, #expr " == HH_OK", __FILE__, __LINE__)
#define CHECK_ERR(expr, code)                                                                      \
    hh_test_check((expr) == (code), #expr " == " #code, __FILE__, __LINE__)

/* Reads a whole file into a malloc'd, NUL-terminated buffer; NULL on error. */
char *hh_test_read_file(const char *path, size_t *len);

/* The vectors directory (HH_VECTORS_DIR) joined with rel, in a static buffer. */
const char *hh_test_vector_path(const char *rel);

/* Removes the files of a flat scratch directory, then the directory. */
void hh_test_rmdir(const char *dir);

/* Deterministic pseudo-random numbers for property tests. */
uint64_t hh_test_rand(void);

#endif
