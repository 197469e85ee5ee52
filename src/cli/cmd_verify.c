/*
 * cmd_verify.c - `henhouse verify URL|DIR --vkey VKEYFILE [--signer
 * VKEYFILE]... [--old CHECKPOINTFILE] [--json] [--threads N]`: verifies a
 * whole log from outside, through its tlog-tiles paths only (verify.h).
 *
 * URL is an http(s) base URL; DIR a node directory (it holds henhouse.conf),
 * read through the same tile bytes the server would serve. Exit 0 when
 * everything verifies, 1 at the first discrepancy (printed), 2 on usage,
 * malformed input or I/O errors. A progress bar goes to stderr only when
 * stderr is a terminal.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <henhouse/client/verify.h>
#include <henhouse/node.h>

#define DEFAULT_THREADS 2
#define BAR_WIDTH       30

static const char verify_usage[] =
    "usage: henhouse verify URL|DIR --vkey VKEYFILE [--signer VKEYFILE]...\n"
    "                       [--old CHECKPOINTFILE] [--json] [--threads N]\n\n"
    "Verifies a whole log through its tlog-tiles paths: the checkpoint's signature,\n"
    "every entry's DSSE envelope and signature, every hash tile against hashes\n"
    "recomputed from the entries, and the root. URL is the log's base URL; DIR a\n"
    "node directory, read exactly as its server would serve it.\n\n"
    "  --vkey VKEYFILE    the log's verifier key (checks the checkpoint)\n"
    "  --signer VKEYFILE  a key entries may be signed by (repeatable); each entry\n"
    "                     must verify under one. None: envelopes are only parsed\n"
    "  --old FILE         an earlier signed checkpoint: check the log extends it\n"
    "  --json             print a JSON report\n"
    "  --threads N        verifier threads (default 2)\n\n"
    "Exit status: 0 verified, 1 the first discrepancy found (printed), 2 usage or I/O.\n";

struct verify_opts {
    const char *target, *vkey, *old;
    const char *signers[HH_VERIFY_MAX_SIGNERS];
    size_t nsigners;
    unsigned threads;
    int json;
};

static int parse_threads(const char *s, unsigned *out)
{
    uint64_t n = 0;

    if (hh_parse_u64(s, strlen(s), &n, NULL) != HH_OK || n < 1 || n > HH_VERIFY_MAX_THREADS)
        return hh_cli_usage_error("verify: --threads must be 1..%d", HH_VERIFY_MAX_THREADS);
    *out = (unsigned)n;
    return HH_EXIT_OK;
}

static int add_signer(struct verify_opts *o, const char *path)
{
    if (o->nsigners == HH_VERIFY_MAX_SIGNERS)
        return hh_cli_usage_error("verify: at most %d --signer keys", HH_VERIFY_MAX_SIGNERS);
    o->signers[o->nsigners++] = path;
    return HH_EXIT_OK;
}

static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
    static const struct option opts[] = {
        {"vkey", required_argument, NULL, 'v'},    {"signer", required_argument, NULL, 's'},
        {"old", required_argument, NULL, 'o'},     {"json", no_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    int c, code = HH_EXIT_OK;

    o->threads = DEFAULT_THREADS;
    while (code == HH_EXIT_OK && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            o->vkey = optarg;
            break;
        case 's':
            code = add_signer(o, optarg);
            break;
        case 'o':
            o->old = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 't':
            code = parse_threads(optarg, &o->threads);
            break;
        default:
            return hh_cli_usage_error("verify: see 'henhouse verify --help'");
        }
    }
    if (code != HH_EXIT_OK)
        return code;
    if (optind != argc - 1 || o->vkey == NULL)
        return hh_cli_usage_error("verify: need one URL or DIR and --vkey VKEYFILE");
    o->target = argv[optind];
    return HH_EXIT_OK;
}

/* The keys and the old checkpoint named on the command line. */
struct verify_inputs {
    struct hh_verifier log_key;
    struct hh_verifier signers[HH_VERIFY_MAX_SIGNERS];
    char *old;
    size_t old_len;
};

static hh_status load_inputs(const struct verify_opts *o, struct verify_inputs *in,
                             struct hh_error *err)
{
    hh_status rc = hh_load_verifier(o->vkey, &in->log_key, err);

    for (size_t i = 0; rc == HH_OK && i < o->nsigners; i++)
        rc = hh_load_verifier(o->signers[i], &in->signers[i], err);
    if (rc == HH_OK && o->old != NULL)
        rc = hh_read_file(o->old, HH_NOTE_MAX_BYTES, &in->old, &in->old_len, err);
    return rc;
}

static int is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* A tile source over the URL, or over the node directory (then *node is open). */
static hh_status open_source(const char *target, struct hh_node **node, struct hh_tile_source *src,
                             struct hh_error *err)
{
    hh_status rc;

    *node = NULL;
    memset(src, 0, sizeof(*src));
    if (is_url(target))
        return hh_tile_source_http(target, src, err);
    if (!hh_node_is_dir(target))
        return hh_error_set(err, HH_ERR_INVALID,
                            "%s is neither an http(s) URL nor a node directory (no %s)", target,
                            HH_NODE_CONFIG_FILE);
    rc = hh_node_open(target, node, err);
    if (rc == HH_OK)
        hh_node_tile_source(*node, src);
    return rc;
}

static void progress_bar(void *ctx, uint64_t done, uint64_t size)
{
    unsigned filled = size > 0 ? (unsigned)(done * BAR_WIDTH / size) : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];

    (void)ctx;
    for (unsigned i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\rverify [%s] %3u%% %llu/%llu entries", bar,
            size > 0 ? (unsigned)(done * 100 / size) : 100, (unsigned long long)done,
            (unsigned long long)size);
    fflush(stderr);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static json_t *json_report(const struct hh_verify_result *res, const struct verify_opts *o,
                           hh_status rc, const struct hh_error *err, double secs)
{
    char root[48] = "";
    json_t *j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "ok", rc == HH_OK, "entries",
                          (json_int_t)res->entries, "bundles", (json_int_t)res->bundles, "tiles",
                          (json_int_t)res->tiles, "signers", (json_int_t)o->nsigners, "threads",
                          (json_int_t)o->threads, "milliseconds", (json_int_t)(secs * 1000 + 0.5));

    if (j == NULL)
        return NULL;
    if (res->have_checkpoint &&
        hh_base64_encode(res->root.b, HH_HASH_LEN, root, sizeof(root)) == HH_OK) {
        json_object_set_new(j, "origin", json_string(res->origin));
        json_object_set_new(j, "size", json_integer((json_int_t)res->size));
        json_object_set_new(j, "root", json_string(root));
    }
    if (res->have_old)
        json_object_set_new(j, "old_size", json_integer((json_int_t)res->old_size));
    if (rc != HH_OK) {
        json_object_set_new(j, "error", json_string(err->msg));
        json_object_set_new(j, "code", json_string(hh_status_name(rc)));
    }
    return j;
}

static void text_report(const struct hh_verify_result *res, const struct verify_opts *o,
                        double secs)
{
    char root[48] = "";

    if (hh_base64_encode(res->root.b, HH_HASH_LEN, root, sizeof(root)) != HH_OK)
        root[0] = '\0';
    printf("verified %s\n  size     %llu\n  root     %s\n", res->origin,
           (unsigned long long)res->size, root);
    if (o->nsigners > 0)
        printf("  entries  %llu, each signed by one of %zu signer key(s)\n",
               (unsigned long long)res->entries, o->nsigners);
    else
        printf("  entries  %llu, envelopes well-formed (signatures not checked: no --signer)\n",
               (unsigned long long)res->entries);
    printf("  tiles    %llu hash tiles, %llu entry bundles\n", (unsigned long long)res->tiles,
           (unsigned long long)res->bundles);
    if (res->have_old)
        printf("  old      size %llu: consistent\n", (unsigned long long)res->old_size);
    printf("  time     %.2f s (%.0f entries/s, %u threads)\n", secs,
           secs > 0 ? (double)res->entries / secs : 0.0, o->threads);
}

static hh_status run_verify(const struct verify_opts *o, const struct verify_inputs *in,
                            struct hh_verify_result *res, struct hh_error *err)
{
    struct hh_verify_options vo = {
        .log_key = &in->log_key,
        .signers = in->signers,
        .nsigners = o->nsigners,
        .old_note = in->old,
        .old_note_len = in->old_len,
        .threads = o->threads,
        .progress = isatty(STDERR_FILENO) ? progress_bar : NULL,
    };
    struct hh_tile_source src;
    struct hh_node *node = NULL;
    hh_status rc = open_source(o->target, &node, &src, err);

    memset(res, 0, sizeof(*res));
    if (rc == HH_OK)
        rc = hh_verify_log(&src, &vo, res, err);
    if (vo.progress != NULL)
        fputs("\r\033[K", stderr);
    hh_tile_source_clear(&src);
    hh_node_close(node);
    return rc;
}

int hh_cmd_verify(int argc, char **argv)
{
    struct verify_opts o = {0};
    struct verify_inputs in = {0};
    struct hh_verify_result res = {0};
    struct hh_error err = {0};
    struct timespec t0;
    hh_status rc;
    double secs;
    int code;

    if (hh_cli_wants_help(argc, argv)) {
        fputs(verify_usage, stdout);
        return HH_EXIT_OK;
    }
    if ((code = parse_opts(argc, argv, &o)) != HH_EXIT_OK)
        return code;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = load_inputs(&o, &in, &err);
    if (rc == HH_OK)
        rc = run_verify(&o, &in, &res, &err);
    secs = seconds_since(&t0);
    if (o.json)
        hh_cli_print_json(json_report(&res, &o, rc, &err, secs));
    else if (rc == HH_OK)
        text_report(&res, &o, secs);
    free(in.old);
    if (rc != HH_OK)
        return hh_cli_report("verify", &err);
    return HH_EXIT_OK;
}
