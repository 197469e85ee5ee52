/*
 * cmd_submit.c - `henhouse submit --node URL --key KEYFILE [--type TYPE]
 * [--wait]`: signs stdin as a DSSE envelope and submits it to a node.
 *
 * Prints the statement id and its log index once the node says it is
 * durable. Exit 0 when logged, 1 when the node refused the signature, 2 on
 * any other error.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <henhouse/client/http_client.h>

#define DEFAULT_TYPE "application/vnd.henhouse.statement+json"

static const char submit_usage[] =
    "usage: henhouse submit --node URL --key KEYFILE [--type TYPE] [--wait] [--json] < payload\n\n"
    "Signs the payload on stdin as a DSSE envelope with KEYFILE and submits it to\n"
    "the node at URL. Prints the statement id and log index once durable.\n\n"
    "  --type TYPE  the payload type (default " DEFAULT_TYPE ")\n"
    "  --wait       wait for a signed checkpoint that includes it, and print it\n"
    "  --json       print the node's JSON answer\n";

struct submit_opts {
    const char *node, *key, *type;
    int wait, json;
};

static int parse_opts(int argc, char **argv, struct submit_opts *o)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'}, {"key", required_argument, NULL, 'k'},
        {"type", required_argument, NULL, 't'}, {"wait", no_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},       {NULL, 0, NULL, 0}};
    int c;

    o->type = DEFAULT_TYPE;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o->node = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 't':
            o->type = optarg;
            break;
        case 'w':
            o->wait = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        default:
            return hh_cli_usage_error("submit: see 'henhouse submit --help'");
        }
    }
    if (o->node == NULL || o->key == NULL || optind != argc)
        return hh_cli_usage_error("submit: need --node URL and --key KEYFILE");
    return HH_EXIT_OK;
}

static int print_answer(const struct hh_http_response *resp, int json)
{
    json_t *v = json_loadb((const char *)resp->body, resp->len, 0, NULL);
    int ok = resp->status == 200 || resp->status == 201;

    if (json || v == NULL || !ok) {
        fprintf(ok ? stdout : stderr, "%s%s\n",
                ok ? "" : "henhouse: submit: node refused: ", (const char *)resp->body);
    } else {
        printf("id %s\nindex %lld\n", json_string_value(json_object_get(v, "id")),
               (long long)json_integer_value(json_object_get(v, "index")));
        if (json_object_get(v, "checkpoint") != NULL)
            printf("%s", json_string_value(json_object_get(v, "checkpoint")));
    }
    json_decref(v);
    if (ok)
        return HH_EXIT_OK;
    return resp->status == 403 ? HH_EXIT_FAIL : HH_EXIT_USAGE;
}

int hh_cmd_submit(int argc, char **argv)
{
    struct submit_opts o = {0};
    struct hh_error err = {0};
    struct hh_signer *key = NULL;
    struct hh_dsse *env = NULL;
    struct hh_http_client *http = NULL;
    struct hh_http_response resp = {0};
    char *payload = NULL, *body = NULL, url[2048];
    size_t len = 0, body_len = 0;
    int code;

    if (hh_cli_wants_help(argc, argv)) {
        fputs(submit_usage, stdout);
        return HH_EXIT_OK;
    }
    if ((code = parse_opts(argc, argv, &o)) != HH_EXIT_OK)
        return code;
    snprintf(url, sizeof(url), "%s/v1/statements%s", o.node, o.wait ? "?wait=checkpoint" : "");
    if (hh_load_signer(o.key, &key, &err) != HH_OK ||
        hh_read_stream(stdin, HH_ENTRY_MAX, &payload, &len, &err) != HH_OK ||
        hh_dsse_sign(o.type, (const uint8_t *)payload, len, &key, 1, &env, &err) != HH_OK ||
        hh_dsse_format(env, &body, &body_len, &err) != HH_OK ||
        hh_http_global_init(&err) != HH_OK || hh_http_client_new(30000, &http, &err) != HH_OK ||
        hh_http_post(http, url, "application/json", body, body_len, 1 << 20, &resp, &err) != HH_OK)
        code = hh_cli_report("submit", &err);
    else
        code = print_answer(&resp, o.json);
    hh_http_response_clear(&resp);
    hh_http_client_free(http);
    hh_dsse_free(env);
    hh_signer_free(key);
    free(payload);
    free(body);
    return code;
}
