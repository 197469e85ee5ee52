/*
 * main.c - the henhouse command dispatcher: `henhouse <command> [args]`.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct hh_command commands[] = {
    {"keygen", "generate a signer key pair (NAME.key, NAME.vkey)", hh_cmd_keygen},
    {"note", "sign or verify a C2SP signed note", hh_cmd_note},
    {"dsse", "sign or verify a DSSE envelope", hh_cmd_dsse},
    {"init", "create a node directory (keys, config, database)", hh_cmd_init},
    {"serve", "run a node: serve its log over HTTP", hh_cmd_serve},
    {"submit", "sign a statement and submit it to a node", hh_cmd_submit},
    {"status", "a node's health: its log, its witnesses, the logs it witnesses", hh_cmd_status},
    {"evidence", "check an evidence file offline", hh_cmd_evidence},
    {"verify", "verify a whole log through its tiles (URL or node DIR)", hh_cmd_verify},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: henhouse <command> [options]\n\n"
               "henhouse keeps a verifiable line of communication between parties that do not\n"
               "trust each other: signed statements in append-only, mutually witnessed logs.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nRun 'henhouse <command> --help' for a command's options.\n"
            "Exit status: 0 ok, 1 verification failed, 2 usage, malformed input or I/O error.\n");
}

int main(int argc, char **argv)
{
    if (hh_init() != HH_OK) {
        fprintf(stderr, "henhouse: cannot initialise libsodium\n");
        return HH_EXIT_USAGE;
    }
    if (argc < 2) {
        usage(stderr);
        return HH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return HH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("henhouse %s\n", HH_VERSION);
        return HH_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    usage(stderr);
    return hh_cli_usage_error("unknown command '%s'", argv[1]);
}
