/*
 * cmd_serve.c - `henhouse init DIR --party NAME --origin ORIGIN` and
 * `henhouse serve DIR [--listen ADDR:PORT]`.
 *
 * serve runs until SIGINT or SIGTERM, then stops accepting, commits the open
 * batch (answering its submitters) and exits 0. The signals are blocked in
 * every thread and taken with sigwait, so no handler runs inside the server.
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <henhouse/client/http_client.h>
#include <henhouse/node.h>

static const char init_usage[] =
    "usage: henhouse init DIR --party NAME --origin ORIGIN\n\n"
    "Creates a node directory: the log key (named ORIGIN), a witness key, a signer\n"
    "key for the local operator (all mode 0600) and their .vkey files, a documented\n"
    "henhouse.conf, and the database with a first, empty signed checkpoint.\n"
    "Refuses to touch a directory that is not empty.\n\n"
    "  --party NAME     this party's short name (a-z, 0-9, '-', '_'), e.g. us\n"
    "  --origin ORIGIN  the log's checkpoint origin, e.g. henhouse.example/us\n";

static const char serve_usage[] =
    "usage: henhouse serve DIR [--listen ADDR:PORT]\n\n"
    "Serves the node in DIR: tlog-tiles reads, statement submission, proofs.\n"
    "Listens on the config's 'listen' address unless --listen is given (port 0\n"
    "picks a free port). Prints 'listening on http://ADDR:PORT' once ready.\n"
    "Stops cleanly on SIGINT or SIGTERM: what is queued is committed first.\n";

int hh_cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {{"party", required_argument, NULL, 'p'},
                                         {"origin", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *party = NULL, *origin = NULL;
    struct hh_error err = {0};
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'p')
            party = optarg;
        else if (c == 'o')
            origin = optarg;
        else if (c == 'h') {
            fputs(init_usage, stdout);
            return HH_EXIT_OK;
        } else
            return hh_cli_usage_error("init: see 'henhouse init --help'");
    }
    if (optind != argc - 1 || party == NULL || origin == NULL)
        return hh_cli_usage_error("init: need DIR, --party and --origin");
    if (hh_node_init(argv[optind], party, origin, &err) != HH_OK)
        return hh_cli_report("init", &err);
    printf("initialised node '%s' (origin %s) in %s\n", party, origin, argv[optind]);
    return HH_EXIT_OK;
}

static int wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigwait(&set, &sig);
    return sig;
}

/*
 * Raises the soft open-file limit towards need (as far as the hard limit
 * allows): a default limit of 1024 would otherwise make accept() fail with
 * EMFILE below max-connections. Warns when the limit stays short.
 */
static void raise_fd_limit(uint64_t need)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
        fprintf(stderr,
                "henhouse: warning: the open-file limit (%llu) is below the %llu that "
                "max-connections needs; connections past it wait\n",
                (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

static void block_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int hh_cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *listen = NULL;
    struct hh_error err = {0};
    struct hh_node *node = NULL;
    char url[300];
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'l')
            listen = optarg;
        else if (c == 'h') {
            fputs(serve_usage, stdout);
            return HH_EXIT_OK;
        } else
            return hh_cli_usage_error("serve: see 'henhouse serve --help'");
    }
    if (optind != argc - 1)
        return hh_cli_usage_error("serve: need the node DIR");
    block_signals();
    if (hh_http_global_init(&err) != HH_OK || hh_node_open(argv[optind], &node, &err) != HH_OK) {
        hh_node_close(node);
        return hh_cli_report("serve", &err);
    }
    raise_fd_limit(hh_node_fd_need(node));
    if (hh_node_warning(node)[0] != '\0')
        fprintf(stderr, "henhouse: warning: %s\n", hh_node_warning(node));
    if (hh_node_serve(node, listen, url, sizeof(url), &err) != HH_OK) {
        hh_node_close(node);
        return hh_cli_report("serve", &err);
    }
    printf("listening on %s\n", url);
    fflush(stdout);
    int sig = wait_for_signal();
    fprintf(stderr, "henhouse: %s received; committing and stopping\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    hh_node_close(node);
    return HH_EXIT_OK;
}
