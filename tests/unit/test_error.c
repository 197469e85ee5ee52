/*
 * test_error.c - the one error type: hh_error_set and hh_error_prefix set
 * the code they are given and return it, and messages stay bounded.
 */
#include <string.h>

#include <henhouse/henhouse.h>

#include "harness.h"

TEST(error_set_sets_code_and_message)
{
    struct hh_error err = {0};

    CHECK_ERR(hh_error_set(&err, HH_ERR_IO, "disk %d", 3), HH_ERR_IO);
    CHECK(err.code == HH_ERR_IO);
    CHECK(strcmp(err.msg, "disk 3") == 0);
    CHECK_ERR(hh_error_set(NULL, HH_ERR_VERIFY, "nobody listens"), HH_ERR_VERIFY);
}

TEST(error_prefix_sets_the_code_it_is_given)
{
    struct hh_error err = {0};

    (void)hh_error_set(&err, HH_ERR_INVALID, "bad byte at 7");
    CHECK_ERR(hh_error_prefix(&err, HH_ERR_VERIFY, "bundle %d", 2), HH_ERR_VERIFY);
    CHECK(err.code == HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "bundle 2: bad byte at 7") == 0);
    /* keeping a code is said by passing it */
    CHECK_ERR(hh_error_prefix(&err, err.code, "tile"), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg, "tile: bundle 2: bad byte at 7") == 0);
    CHECK_ERR(hh_error_prefix(NULL, HH_ERR_IO, "x"), HH_ERR_IO);
}

TEST(error_prefix_stays_bounded)
{
    struct hh_error err = {0};
    char long_text[3 * HH_ERROR_MSG_MAX];

    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    (void)hh_error_set(&err, HH_ERR_IO, "%s", long_text);
    CHECK(strlen(err.msg) == HH_ERROR_MSG_MAX - 1);
    (void)hh_error_prefix(&err, HH_ERR_IO, "%s", long_text);
    CHECK(strlen(err.msg) < HH_ERROR_MSG_MAX);
}
