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
    char base[HH_KEY_NAME_MAX + 1], vkey[HH_KEY_TEXT_MAX];
    struct hh_verifier v;

    snprintf(base, sizeof(base), "%s", name);
    for (char *p = base; *p; p++)
        if (*p == '/')
            *p = '_';
    hh_status rc = hh_write_key_pair(s, dir, base, err);
    if (rc != HH_OK)
        return rc;
    hh_signer_verifier(s, &v);
    if (hh_verifier_format(&v, vkey, sizeof(vkey)) == HH_OK)
        printf("%s\n", vkey);
    return HH_OK;
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
