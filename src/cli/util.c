/*
 * util.c - process-level helpers of the CLI: help, usage errors, exit codes
 * and output.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hh_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int hh_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("henhouse: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    return HH_EXIT_USAGE;
}

int hh_cli_exit_code(hh_status rc)
{
    if (rc == HH_OK)
        return HH_EXIT_OK;
    return rc == HH_ERR_VERIFY ? HH_EXIT_FAIL : HH_EXIT_USAGE;
}

int hh_cli_report(const char *what, const struct hh_error *err)
{
    fprintf(stderr, "henhouse: %s: %s\n", what, err->msg);
    return hh_cli_exit_code(err->code);
}

hh_status hh_cli_write_stdout(const void *data, size_t len, struct hh_error *err)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
        return hh_error_set(err, HH_ERR_IO, "writing to stdout: %s", strerror(errno));
    return HH_OK;
}

void hh_cli_print_json(json_t *value)
{
    if (value == NULL)
        return;
    json_dumpf(value, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(value);
}
