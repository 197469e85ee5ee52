/*
 * cmd_keygen.c - `henhouse keygen NAME [-o DIR] [--witness]`: a new key pair.
 *
 * Writes DIR/FILE.key (signer key, mode 0600) and DIR/FILE.vkey (verifier
 * key), where FILE is NAME with '/' replaced by '_'. Never overwrites.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

static const char keygen_usage[] =
    "usage: henhouse keygen NAME [-o DIR] [--witness]\n\n"
    "Generates an Ed25519 key named NAME (a C2SP key name such as example.org/us-log)\n"
    "and writes DIR/FILE.key (the signer key, mode 0600) and DIR/FILE.vkey (the\n"
    "verifier key), FILE being NAME with '/' replaced by '_'. Existing files are\n"
    "never overwritten.\n\n"
    "  -o, --out DIR   directory to write into (default: .)\n"
    "  --witness       a cosignature/v1 (type 0x04) witness key instead of a signer key\n";

static hh_status write_pair(const struct hh_signer *s, const char *dir, const char *name,
                            struct hh_error *err)
{
    char base[HH_KEY_NAME_MAX + 1], path[4096 + HH_KEY_NAME_MAX + 16], text[HH_KEY_TEXT_MAX];
    struct hh_verifier v;
    hh_status rc;

    snprintf(base, sizeof(base), "%s", name);
    for (char *p = base; *p; p++)
        if (*p == '/')
            *p = '_';
    if (strlen(dir) > 4096)
        return hh_error_set(err, HH_ERR_INVALID, "directory name too long");
    snprintf(path, sizeof(path), "%s/%s.vkey", dir, base);
    if (access(path, F_OK) == 0)
        return hh_error_set(err, HH_ERR_CONFLICT, "%s exists; refusing to overwrite", path);
    snprintf(path, sizeof(path), "%s/%s.key", dir, base);
    rc = hh_signer_format(s, text, sizeof(text));
    if (rc == HH_OK) {
        size_t n = strlen(text);
        text[n] = '\n';
        rc = hh_cli_write_new_file(path, text, n + 1, 0600, err);
    }
    sodium_memzero(text, sizeof(text));
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(s, &v);
    rc = hh_verifier_format(&v, text, sizeof(text));
    if (rc != HH_OK)
        return hh_error_set(err, rc, "cannot format the verifier key");
    size_t n = strlen(text);
    text[n] = '\n';
    snprintf(path, sizeof(path), "%s/%s.vkey", dir, base);
    rc = hh_cli_write_new_file(path, text, n + 1, 0644, err);
    if (rc == HH_OK)
        printf("%.*s", (int)(n + 1), text);
    return rc;
}

int hh_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"witness", no_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = ".";
    uint8_t type = HH_KEY_ED25519;
    struct hh_signer *s = NULL;
    struct hh_error err = {0};
    int c;

    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            dir = optarg;
        else if (c == 'w')
            type = HH_KEY_COSIGNATURE;
        else if (c == 'h') {
            fputs(keygen_usage, stdout);
            return HH_EXIT_OK;
        } else
            return hh_cli_usage_error("keygen: see 'henhouse keygen --help'");
    }
    if (optind != argc - 1)
        return hh_cli_usage_error("keygen: expected one NAME; see 'henhouse keygen --help'");
    if (hh_signer_generate(argv[optind], type, &s, &err) != HH_OK ||
        write_pair(s, dir, argv[optind], &err) != HH_OK) {
        hh_signer_free(s);
        return hh_cli_report("keygen", &err);
    }
    hh_signer_free(s);
    return HH_EXIT_OK;
}
