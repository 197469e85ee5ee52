/*
 * cli.h - shared pieces of the henhouse command-line tool.
 *
 * The CLI sees only include/: the core library (henhouse/henhouse.h), the
 * client library (henhouse/client/) and the node's facade (henhouse/node.h);
 * the build gives it no other include path. It owns the process
 * conventions: exit 0 on success, 1 when verification fails or misbehaviour
 * is found, 2 on usage, malformed input or I/O errors; secrets are written
 * only to 0600 files and never printed.
 */
#ifndef HH_CLI_H
#define HH_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <henhouse/henhouse.h>
#include <jansson.h>

#include <henhouse/client/files.h>

enum { HH_EXIT_OK = 0, HH_EXIT_FAIL = 1, HH_EXIT_USAGE = 2 };

struct hh_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int hh_cmd_keygen(int argc, char **argv);
int hh_cmd_note(int argc, char **argv);
int hh_cmd_dsse(int argc, char **argv);
int hh_cmd_init(int argc, char **argv);
int hh_cmd_serve(int argc, char **argv);
int hh_cmd_submit(int argc, char **argv);
int hh_cmd_status(int argc, char **argv);
int hh_cmd_evidence(int argc, char **argv);
int hh_cmd_verify(int argc, char **argv);

/* True when argv holds -h or --help. */
int hh_cli_wants_help(int argc, char **argv);

/* Prints "henhouse: <msg>" to stderr; returns HH_EXIT_USAGE. */
int hh_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code for a library status: 1 for HH_ERR_VERIFY, 2 otherwise, 0 for HH_OK. */
int hh_cli_exit_code(hh_status rc);

/* Prints "henhouse: <what>: <err->msg>" to stderr and returns hh_cli_exit_code. */
int hh_cli_report(const char *what, const struct hh_error *err);

/* Prints a JSON value on one line to stdout and releases it (NULL prints nothing). */
void hh_cli_print_json(json_t *value);

/* Writes all of data to stdout; HH_ERR_IO on failure. */
hh_status hh_cli_write_stdout(const void *data, size_t len, struct hh_error *err);

#endif
