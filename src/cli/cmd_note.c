/*
 * cmd_note.c - `henhouse note sign KEYFILE` and `henhouse note verify VKEYFILE...`.
 *
 * sign: the note text on stdin (it must end in a newline), the signed note on
 * stdout. verify: a signed note on stdin; exit 0 when at least one of the
 * given keys signed it, 1 when none did or a known signature is bad, 2 when
 * the note or a key is malformed.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#define MAX_KEYS 64

static const char note_usage[] =
    "usage: henhouse note sign KEYFILE          < text > signed-note\n"
    "       henhouse note verify [--json] VKEYFILE... < signed-note\n\n"
    "sign:   signs the text on stdin (which must end in a newline) as a C2SP signed\n"
    "        note with the signer key in KEYFILE (mode 0600).\n"
    "verify: checks the signed note on stdin against the verifier keys given.\n"
    "        Signatures by other keys are ignored. Prints who signed (and, for\n"
    "        witness keys, the cosignature time).\n\n"
    "Exit status: 0 signed by a known key, 1 not signed by any known key or a\n"
    "known key's signature is bad, 2 malformed note, bad key file or usage.\n";

static int note_sign(int argc, char **argv)
{
    struct hh_signer *s = NULL;
    struct hh_error err = {0};
    char *text = NULL, *note = NULL;
    size_t len = 0, note_len = 0;
    int code = HH_EXIT_OK;

    if (argc != 2)
        return hh_cli_usage_error("note sign: expected one KEYFILE");
    if (hh_load_signer(argv[1], &s, &err) != HH_OK ||
        hh_read_stream(stdin, HH_NOTE_MAX_BYTES, &text, &len, &err) != HH_OK ||
        hh_note_sign(s, text, len, &note, &note_len, &err) != HH_OK ||
        hh_cli_write_stdout(note, note_len, &err) != HH_OK)
        code = hh_cli_report("note sign", &err);
    hh_signer_free(s);
    free(text);
    free(note);
    return code;
}

static int print_verified(const struct hh_verifier *keys, const struct hh_note_verified *v,
                          size_t n, int json)
{
    json_t *sigs = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct hh_verifier *k = &keys[v[i].key_index];
        char id[9];
        snprintf(id, sizeof(id), "%08x", (unsigned)k->key_id);
        if (json)
            json_array_append_new(sigs, json_pack("{s:s, s:s, s:i, s:I}", "name", k->name, "key_id",
                                                  id, "type", (int)k->type, "timestamp",
                                                  (json_int_t)v[i].timestamp));
        else if (k->type == HH_KEY_COSIGNATURE)
            printf("cosigned by %s+%s at %llu\n", k->name, id, (unsigned long long)v[i].timestamp);
        else
            printf("signed by %s+%s\n", k->name, id);
    }
    if (json)
        hh_cli_print_json(json_pack("{s:b, s:o}", "verified", 1, "signatures", sigs));
    else
        json_decref(sigs);
    return HH_EXIT_OK;
}

static int note_verify(int argc, char **argv)
{
    struct hh_verifier keys[MAX_KEYS];
    struct hh_note_verified verified[MAX_KEYS];
    struct hh_error err = {0};
    struct hh_note *note = NULL;
    char *buf = NULL;
    size_t len = 0, nkeys = 0, nverified = 0;
    int json = 0, first = 1, code;

    if (argc > 1 && strcmp(argv[1], "--json") == 0) {
        json = 1;
        first = 2;
    }
    if (argc - first < 1 || argc - first > MAX_KEYS)
        return hh_cli_usage_error("note verify: expected 1 to %d VKEYFILEs", MAX_KEYS);
    for (int i = first; i < argc; i++)
        if (hh_load_verifier(argv[i], &keys[nkeys++], &err) != HH_OK)
            return hh_cli_report("note verify", &err);
    if (hh_read_stream(stdin, HH_NOTE_MAX_BYTES, &buf, &len, &err) != HH_OK ||
        hh_note_parse(buf, len, &note, &err) != HH_OK ||
        hh_note_verify(note, keys, nkeys, verified, MAX_KEYS, &nverified, &err) != HH_OK) {
        if (json && err.code == HH_ERR_VERIFY)
            hh_cli_print_json(json_pack("{s:b, s:s}", "verified", 0, "error", err.msg));
        code = hh_cli_report("note verify", &err);
    } else {
        code = print_verified(keys, verified, nverified, json);
    }
    hh_note_free(note);
    free(buf);
    return code;
}

int hh_cmd_note(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sign") == 0 && !hh_cli_wants_help(argc, argv))
        return note_sign(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0 && !hh_cli_wants_help(argc, argv))
        return note_verify(argc - 1, argv + 1);
    if (hh_cli_wants_help(argc, argv)) {
        fputs(note_usage, stdout);
        return HH_EXIT_OK;
    }
    fputs(note_usage, stderr);
    return HH_EXIT_USAGE;
}
