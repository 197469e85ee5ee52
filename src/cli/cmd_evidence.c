/*
 * cmd_evidence.c - `henhouse evidence verify FILE` and `henhouse status DIR`.
 *
 * evidence verify checks an evidence file with nothing else: exit 1 when it
 * proves misbehaviour (with a plain explanation), 0 when it proves nothing,
 * 2 when it is malformed. status prints a node's health from its directory.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include <henhouse/node.h>

static const char evidence_usage[] =
    "usage: henhouse evidence verify [--json] FILE\n\n"
    "Checks an evidence file offline: every signature against the log key it\n"
    "names, every proof recomputed. Prints what it proves in plain words.\n\n"
    "Exit status: 1 misbehaviour is proven, 0 the file proves nothing,\n"
    "2 the file is malformed or unreadable.\n";

static const char status_usage[] =
    "usage: henhouse status [--json] DIR\n\n"
    "Prints the health of the node in DIR: its log's size and root, the last\n"
    "cosignature from each witness and its age, every witnessed log's cosigned\n"
    "and mirrored sizes, the last error talking to each peer, and the evidence\n"
    "held. Works while the node is serving.\n";

static int evidence_verify(const char *path, int json)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};
    char *buf = NULL;
    size_t len = 0;

    if (hh_read_file(path, HH_EVIDENCE_MAX_BYTES, &buf, &len, &err) != HH_OK ||
        hh_evidence_verify(buf, len, &v, &err) != HH_OK) {
        free(buf);
        if (json)
            hh_cli_print_json(json_pack("{s:b, s:s}", "valid", 0, "error", err.msg));
        hh_cli_report("evidence verify", &err);
        return HH_EXIT_USAGE;
    }
    free(buf);
    if (json)
        hh_cli_print_json(json_pack("{s:b, s:s, s:s, s:b, s:s}", "valid", 1, "kind",
                                    hh_evidence_kind_name(v.kind), "origin", v.origin, "proven",
                                    v.proven, "explanation", v.explanation));
    else
        printf("%s\n%s\n", v.proven ? "proven" : "not proven", v.explanation);
    return v.proven ? HH_EXIT_FAIL : HH_EXIT_OK;
}

int hh_cmd_evidence(int argc, char **argv)
{
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;

    if (hh_cli_wants_help(argc, argv)) {
        fputs(evidence_usage, stdout);
        return HH_EXIT_OK;
    }
    if (argc != 3 + json || strcmp(argv[1], "verify") != 0) {
        fputs(evidence_usage, stderr);
        return HH_EXIT_USAGE;
    }
    return evidence_verify(argv[2 + json], json);
}

/* The last error of a peer, or "" when its last attempt succeeded. */
static const char *current_error(json_t *peer)
{
    const char *e = json_string_value(json_object_get(peer, "last_error"));
    return json_integer_value(json_object_get(peer, "consecutive_failures")) > 0 && e ? e : "";
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : "-";
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void print_status(json_t *st)
{
    json_t *log = json_object_get(st, "log"), *w;
    size_t i;

    printf("party %s, log %s: size %lld, root %s\n", str(st, "party"), str(log, "origin"),
           num(log, "size"), str(log, "root"));
    json_array_foreach(json_object_get(log, "witnesses"), i, w)
    {
        if (json_is_integer(json_object_get(w, "age_s")))
            printf("  witness %-12s cosigned size %lld, %llds ago", str(w, "name"),
                   num(w, "cosigned_size"), num(w, "age_s"));
        else
            printf("  witness %-12s has never cosigned", str(w, "name"));
        printf("%s%s\n", *current_error(w) ? "; failing: " : "", current_error(w));
    }
    json_array_foreach(json_object_get(st, "witnessed"), i, w)
    {
        printf("  witnessing %-9s (%s) cosigned size %lld", str(w, "name"), str(w, "mode"),
               num(w, "cosigned_size"));
        if (json_object_get(w, "mirror_size") != NULL)
            printf(", mirror size %lld", num(w, "mirror_size"));
        printf("%s%s%s\n",
               json_is_true(json_object_get(w, "frozen")) ? ", FROZEN (evidence held)" : "",
               *current_error(w) ? "; failing: " : "", current_error(w));
    }
    printf("evidence held: %lld\n", num(st, "evidence"));
}

int hh_cmd_status(int argc, char **argv)
{
    struct hh_error err = {0};
    struct hh_node *node = NULL;
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    json_t *st;

    if (hh_cli_wants_help(argc, argv)) {
        fputs(status_usage, stdout);
        return HH_EXIT_OK;
    }
    if (argc != 2 + json)
        return hh_cli_usage_error("status: need the node DIR");
    if (hh_node_open(argv[1 + json], &node, &err) != HH_OK)
        return hh_cli_report("status", &err);
    st = hh_node_status(node);
    if (json)
        hh_cli_print_json(st);
    else {
        print_status(st);
        json_decref(st);
    }
    hh_node_close(node);
    return HH_EXIT_OK;
}
