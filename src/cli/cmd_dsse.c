/*
 * cmd_dsse.c - `henhouse dsse sign --type TYPE KEYFILE...` and
 * `henhouse dsse verify [--threshold K] [--payload] VKEYFILE...`.
 *
 * sign: the payload on stdin, the JSON envelope (signed by every key given)
 * on stdout. verify: an envelope on stdin; exit 0 when at least K distinct
 * given keys signed it (K = 1 by default), 1 when fewer did, 2 when the
 * envelope or a key is malformed. With --payload, only the verified payload
 * bytes are written to stdout, so a pipeline never sees unverified data.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS HH_DSSE_MAX_SIGNATURES

static const char dsse_usage[] =
    "usage: henhouse dsse sign --type TYPE KEYFILE...                   < payload > envelope\n"
    "       henhouse dsse verify [--threshold K] [--payload] [--json] VKEYFILE... < envelope\n\n"
    "sign:   wraps the payload on stdin in a DSSE envelope of payload type TYPE,\n"
    "        signed with each signer key given (Ed25519).\n"
    "verify: checks the envelope's signatures over its PAE against the verifier keys\n"
    "        given; a key counts once however often it signed. Prints the statement\n"
    "        id (SHA-256 of the PAE) and the keys that signed; with --payload prints\n"
    "        only the verified payload bytes.\n\n"
    "Exit status: 0 at least K (default 1) of the keys signed, 1 fewer did,\n"
    "2 malformed envelope, bad key file or usage.\n";

static int dsse_sign(int argc, char **argv)
{
    static const struct option opts[] = {{"type", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    struct hh_signer *signers[MAX_KEYS] = {0};
    struct hh_error err = {0};
    struct hh_dsse *env = NULL;
    const char *type = NULL;
    char *payload = NULL, *json = NULL;
    size_t len = 0, json_len = 0, n = 0;
    int c, code = HH_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
        if (c != 't')
            return hh_cli_usage_error("dsse sign: see 'henhouse dsse --help'");
        type = optarg;
    }
    if (type == NULL || optind >= argc || argc - optind > MAX_KEYS)
        return hh_cli_usage_error("dsse sign: need --type TYPE and 1 to %d KEYFILEs", MAX_KEYS);
    for (int i = optind; i < argc; i++)
        if (hh_load_signer(argv[i], &signers[n++], &err) != HH_OK)
            goto out;
    if (hh_read_stream(stdin, HH_DSSE_MAX_BYTES, &payload, &len, &err) != HH_OK ||
        hh_dsse_sign(type, (const uint8_t *)payload, len, signers, n, &env, &err) != HH_OK ||
        hh_dsse_format(env, &json, &json_len, &err) != HH_OK ||
        hh_cli_write_stdout(json, json_len, &err) != HH_OK ||
        hh_cli_write_stdout("\n", 1, &err) != HH_OK)
        goto out;
out:
    if (err.code != HH_OK)
        code = hh_cli_report("dsse sign", &err);
    for (size_t i = 0; i < n; i++)
        hh_signer_free(signers[i]);
    hh_dsse_free(env);
    free(payload);
    free(json);
    return code;
}

struct verify_opts {
    size_t threshold;
    int payload_only;
    int json;
};

static int parse_verify_opts(int argc, char **argv, struct verify_opts *o)
{
    static const struct option opts[] = {{"threshold", required_argument, NULL, 'k'},
                                         {"payload", no_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    uint64_t k = 1;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'k' && hh_parse_u64(optarg, strlen(optarg), &k, NULL) == HH_OK && k >= 1 &&
            k <= MAX_KEYS)
            continue;
        if (c == 'p' || c == 'j') {
            *(c == 'p' ? &o->payload_only : &o->json) = 1;
            continue;
        }
        return hh_cli_usage_error("dsse verify: bad option; see 'henhouse dsse --help'");
    }
    o->threshold = (size_t)k;
    if (optind >= argc || argc - optind > MAX_KEYS)
        return hh_cli_usage_error("dsse verify: expected 1 to %d VKEYFILEs", MAX_KEYS);
    return HH_EXIT_OK;
}

static void print_result(const struct hh_dsse *env, const struct hh_verifier *keys, size_t nkeys,
                         const uint8_t *verified, size_t nverified, const struct verify_opts *o)
{
    struct hh_hash id;
    char hex[2 * HH_HASH_LEN + 1];
    json_t *signers = json_array();

    if (hh_dsse_id(env, &id) != HH_OK)
        memset(&id, 0, sizeof(id));
    hh_hash_to_hex(&id, hex);
    for (size_t i = 0; i < nkeys; i++)
        if (verified[i])
            json_array_append_new(signers, json_string(keys[i].name));
    if (o->json) {
        hh_cli_print_json(json_pack("{s:b, s:s, s:s, s:I, s:o}", "verified",
                                    nverified >= o->threshold, "id", hex, "payload_type",
                                    env->payload_type, "signers", (json_int_t)nverified,
                                    "signed_by", signers));
        return;
    }
    if (!o->payload_only) {
        printf("id %s\ntype %s\n", hex, env->payload_type);
        for (size_t i = 0; i < json_array_size(signers); i++)
            printf("signed by %s\n", json_string_value(json_array_get(signers, i)));
    }
    json_decref(signers);
}

static int dsse_verify(int argc, char **argv)
{
    struct hh_verifier keys[MAX_KEYS];
    uint8_t verified[MAX_KEYS] = {0};
    struct verify_opts o = {0};
    struct hh_error err = {0};
    struct hh_dsse *env = NULL;
    char *buf = NULL;
    size_t len = 0, nkeys = 0, nverified = 0;
    int code = parse_verify_opts(argc, argv, &o);

    if (code != HH_EXIT_OK)
        return code;
    for (int i = optind; i < argc; i++)
        if (hh_load_verifier(argv[i], &keys[nkeys++], &err) != HH_OK)
            return hh_cli_report("dsse verify", &err);
    if (hh_read_stream(stdin, HH_DSSE_MAX_BYTES, &buf, &len, &err) != HH_OK ||
        hh_dsse_parse(buf, len, &env, &err) != HH_OK) {
        code = hh_cli_report("dsse verify", &err);
        goto out;
    }
    if (hh_dsse_verify(env, keys, nkeys, verified, &nverified, &err) != HH_OK &&
        err.code != HH_ERR_VERIFY) {
        code = hh_cli_report("dsse verify", &err);
        goto out;
    }
    print_result(env, keys, nkeys, verified, nverified, &o);
    if (nverified < o.threshold) {
        fprintf(stderr, "henhouse: dsse verify: %zu of the required %zu keys signed\n", nverified,
                o.threshold);
        code = HH_EXIT_FAIL;
    } else if (o.payload_only && !o.json &&
               hh_cli_write_stdout(env->payload, env->payload_len, &err) != HH_OK) {
        code = hh_cli_report("dsse verify", &err);
    }
out:
    hh_dsse_free(env);
    free(buf);
    return code;
}

int hh_cmd_dsse(int argc, char **argv)
{
    if (hh_cli_wants_help(argc, argv)) {
        fputs(dsse_usage, stdout);
        return HH_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "sign") == 0)
        return dsse_sign(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return dsse_verify(argc - 1, argv + 1);
    fputs(dsse_usage, stderr);
    return HH_EXIT_USAGE;
}
