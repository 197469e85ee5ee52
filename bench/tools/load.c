/*
 * load.c - an ingest load generator for a running node: the hh_load binary.
 *
 *   hh_load --node URL --dir DIR [--seconds S] [--count N] [--concurrency C]
 *           [--payload-bytes B] [--wait-every K] [--tag TAG] [--acks FILE]
 *           [--pid PID] [--verify-rate]
 *
 * Pre-signs N distinct statements (payloads of about B bytes, DSSE envelopes
 * signed with DIR/operator.key exactly as `henhouse submit` makes them) in
 * memory, so that signing costs nothing during the run. Then POSTs them to
 * URL/v1/statements over C keep-alive connections (one libcurl multi handle,
 * one thread) until all are sent or S seconds have passed, and measures for
 * each the time from sending the POST to its answer. Every K-th statement
 * asks ?wait=checkpoint: its time is to a signed checkpoint that includes it.
 *
 * Prints statements/s (over the whole run, and the median and minimum of
 * whole one-second windows), p50/p90/p99/max latencies of both kinds and the
 * errors by HTTP status. With --verify-rate it first measures the raw
 * Ed25519 verification rate (crypto_sign_verify_detached on a statement-sized
 * message, 1 s on one thread, then 1 s on every core) so that the ingest rate
 * can be read as a fraction of it. With --pid it reads the node's VmRSS and
 * VmHWM from /proc at the end. With --acks it appends "ID INDEX" for every
 * acknowledged statement to FILE, flushed line by line (the crash tests use
 * it). SIGINT or SIGTERM ends the run early and still prints the summary.
 * Exit 0 when the run completed, 1 when any statement failed, 2 on usage or
 * setup errors.
 */
#include <henhouse/henhouse.h>

#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <henhouse/client/files.h>

#define TYPE            "application/vnd.henhouse.statement+json"
#define PAYLOAD_MAX     60000
#define CONCURRENCY_MAX 4096
#define RESPONSE_MAX    8192
#define DRAIN_SECONDS   30
#define SLOW_SECONDS    5.0 /* answers slower than this are listed on stderr */

struct options {
    const char *node, *dir, *tag, *acks;
    double seconds;
    uint64_t count, payload_bytes, wait_every, concurrency, pid;
    int verify_rate;
};

/* One pre-signed statement. */
struct statement {
    char *body;
    size_t len;
};

/* One connection slot: an easy handle and the transfer it carries. */
struct slot {
    CURL *easy;
    uint64_t statement;
    int wait;
    double sent;
    char resp[RESPONSE_MAX];
    size_t resp_len;
};

struct samples {
    uint32_t *us; /* latencies in microseconds */
    size_t n, cap;
};

struct stats {
    uint64_t created, duplicates, errors, transport_errors;
    uint64_t by_status[600];
    struct samples plain, waited;
    uint64_t *per_second; /* completions in second i of the run */
    size_t nseconds;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static size_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (size_t)n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char usage[] =
    "usage: hh_load --node URL --dir DIR [--seconds S] [--count N] [--concurrency C]\n"
    "               [--payload-bytes B] [--wait-every K] [--tag TAG] [--acks FILE]\n"
    "               [--pid PID] [--verify-rate]\n\n"
    "Pre-signs N statements with DIR/operator.key, then submits them to the node at\n"
    "URL over C keep-alive connections for at most S seconds; prints statements/s,\n"
    "latency percentiles and errors.\n\n"
    "  --seconds S        stop sending after S seconds (default 60)\n"
    "  --count N          statements to pre-sign (default 200000)\n"
    "  --concurrency C    connections, each with one request in flight (default 64)\n"
    "  --payload-bytes B  payload size (default 500)\n"
    "  --wait-every K     every K-th statement asks ?wait=checkpoint (default 100; 0 never)\n"
    "  --tag TAG          makes the statements distinct from other runs (default random)\n"
    "  --acks FILE        append \"ID INDEX\" for every acknowledged statement\n"
    "  --pid PID          report the node process's VmRSS and VmHWM at the end\n"
    "  --verify-rate      first measure the raw Ed25519 verify rate (1 and all cores)\n";

static int parse_u64_opt(const char *s, uint64_t *out, const char *name)
{
    if (hh_parse_u64(s, strlen(s), out, NULL) != HH_OK) {
        fprintf(stderr, "hh_load: %s needs a number, not '%s'\n", name, s);
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {{"node", required_argument, NULL, 'n'},
                                         {"dir", required_argument, NULL, 'd'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"concurrency", required_argument, NULL, 'C'},
                                         {"payload-bytes", required_argument, NULL, 'b'},
                                         {"wait-every", required_argument, NULL, 'w'},
                                         {"tag", required_argument, NULL, 't'},
                                         {"acks", required_argument, NULL, 'a'},
                                         {"pid", required_argument, NULL, 'p'},
                                         {"verify-rate", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    uint64_t secs = 60;
    int c, bad = 0;

    memset(o, 0, sizeof(*o));
    o->count = 200000;
    o->concurrency = 64;
    o->payload_bytes = 500;
    o->wait_every = 100;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o->node = optarg;
            break;
        case 'd':
            o->dir = optarg;
            break;
        case 's':
            bad |= parse_u64_opt(optarg, &secs, "--seconds");
            break;
        case 'c':
            bad |= parse_u64_opt(optarg, &o->count, "--count");
            break;
        case 'C':
            bad |= parse_u64_opt(optarg, &o->concurrency, "--concurrency");
            break;
        case 'b':
            bad |= parse_u64_opt(optarg, &o->payload_bytes, "--payload-bytes");
            break;
        case 'w':
            bad |= parse_u64_opt(optarg, &o->wait_every, "--wait-every");
            break;
        case 't':
            o->tag = optarg;
            break;
        case 'a':
            o->acks = optarg;
            break;
        case 'p':
            bad |= parse_u64_opt(optarg, &o->pid, "--pid");
            break;
        case 'v':
            o->verify_rate = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            bad = 1;
        }
    }
    o->seconds = (double)secs;
    if (bad || optind != argc || o->node == NULL || o->dir == NULL || o->count == 0 ||
        o->concurrency == 0 || o->concurrency > CONCURRENCY_MAX || o->payload_bytes < 64 ||
        o->payload_bytes > PAYLOAD_MAX || secs == 0) {
        fputs(usage, stderr);
        return -1;
    }
    return 0;
}

/* A distinct JSON statement payload of exactly `bytes` bytes (bytes >= 64). */
static size_t make_payload(char *buf, size_t bytes, const char *tag, uint64_t i)
{
    int n = snprintf(buf, bytes + 1,
                     "{\"kind\":\"notice\",\"from\":\"us\",\"to\":[\"ru\"],"
                     "\"subject\":\"load %s %llu\",\"body\":\"",
                     tag, (unsigned long long)i);
    size_t len = n < 0 ? 0 : (size_t)n;

    if (len + 2 > bytes)
        len = bytes - 2; /* the subject was cut: still distinct enough for short payloads */
    memset(buf + len, 'x', bytes - 2 - len);
    buf[bytes - 2] = '"';
    buf[bytes - 1] = '}';
    buf[bytes] = '\0';
    return bytes;
}

struct sign_job {
    struct hh_signer *key;
    struct statement *st;
    uint64_t first, n, payload_bytes;
    const char *tag;
    int failed;
};

static void *sign_range(void *arg)
{
    struct sign_job *j = arg;
    char *payload = malloc(j->payload_bytes + 1);
    struct hh_error err = {0};

    for (uint64_t i = j->first; payload != NULL && i < j->first + j->n && !j->failed; i++) {
        struct hh_dsse *env = NULL;
        size_t len = make_payload(payload, j->payload_bytes, j->tag, i);
        if (hh_dsse_sign(TYPE, (const uint8_t *)payload, len, &j->key, 1, &env, &err) != HH_OK ||
            hh_dsse_format(env, &j->st[i].body, &j->st[i].len, &err) != HH_OK) {
            fprintf(stderr, "hh_load: signing statement %llu: %s\n", (unsigned long long)i,
                    err.msg);
            j->failed = 1;
        }
        hh_dsse_free(env);
    }
    if (payload == NULL)
        j->failed = 1;
    free(payload);
    return NULL;
}

/* Signs o->count statements on every core. */
static struct statement *presign(const struct options *o, struct hh_signer *key, const char *tag)
{
    size_t nthreads = cpu_count();
    struct statement *st = calloc(o->count, sizeof(*st));
    struct sign_job jobs[64];
    pthread_t threads[64];
    int failed = 0;

    if (st == NULL)
        return NULL;
    for (size_t t = 0; t < nthreads; t++) {
        uint64_t per = o->count / nthreads, first = per * t;
        jobs[t] = (struct sign_job){
            key, st, first, t + 1 == nthreads ? o->count - first : per, o->payload_bytes, tag, 0};
        if (pthread_create(&threads[t], NULL, sign_range, &jobs[t]) != 0) {
            jobs[t].n = 0;
            jobs[t].failed = 1;
            threads[t] = 0;
        }
    }
    for (size_t t = 0; t < nthreads; t++) {
        if (threads[t] != 0)
            pthread_join(threads[t], NULL);
        failed |= jobs[t].failed;
    }
    if (failed) {
        for (uint64_t i = 0; i < o->count; i++)
            free(st[i].body);
        free(st);
        return NULL;
    }
    return st;
}

/* ---- raw verify rate ---------------------------------------------------- */

struct verify_job {
    const uint8_t *msg, *sig, *pk;
    size_t len;
    double seconds;
    uint64_t done;
    int bad;
};

static void *verify_loop(void *arg)
{
    struct verify_job *j = arg;
    double end = now_s() + j->seconds;

    while (now_s() < end) {
        for (int k = 0; k < 64; k++)
            j->bad |= crypto_sign_verify_detached(j->sig, j->msg, j->len, j->pk) != 0;
        j->done += 64;
    }
    return NULL;
}

/* Verifies/s over `threads` threads for `seconds`. */
static double verify_rate(size_t threads, double seconds, size_t msg_len)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    uint8_t *msg = malloc(msg_len);
    struct verify_job jobs[64];
    pthread_t tid[64];
    uint64_t total = 0;
    int bad = 0;

    if (msg == NULL || threads == 0 || threads > 64) {
        free(msg);
        return 0;
    }
    randombytes_buf(msg, msg_len);
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, msg, msg_len, sk);
    for (size_t t = 0; t < threads; t++) {
        jobs[t] = (struct verify_job){msg, sig, pk, msg_len, seconds, 0, 0};
        pthread_create(&tid[t], NULL, verify_loop, &jobs[t]);
    }
    for (size_t t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        total += jobs[t].done;
        bad |= jobs[t].bad;
    }
    free(msg);
    sodium_memzero(sk, sizeof(sk));
    return bad ? 0 : (double)total / seconds;
}

/* ---- the run ------------------------------------------------------------- */

static int samples_add(struct samples *s, double seconds)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        uint32_t *bigger = realloc(s->us, cap * sizeof(*bigger));
        if (bigger == NULL)
            return -1;
        s->us = bigger;
        s->cap = cap;
    }
    double us = seconds * 1e6;
    s->us[s->n++] = us > 4e9 ? 4000000000u : (uint32_t)us;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(const struct samples *s, double p)
{
    if (s->n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
    return s->us[i] / 1000.0;
}

/* The number of samples over us microseconds (samples sorted). */
static size_t count_over(const struct samples *s, double us)
{
    size_t n = 0;
    for (size_t i = s->n; i > 0 && s->us[i - 1] > us; i--)
        n++;
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct slot *sl = ctx;
    size_t n = size * nmemb, room = RESPONSE_MAX - 1 - sl->resp_len;
    size_t take = n < room ? n : room;

    memcpy(sl->resp + sl->resp_len, data, take);
    sl->resp_len += take;
    sl->resp[sl->resp_len] = '\0';
    return n;
}

/* Copies the value of "key":"..." or "key":123 from a compact JSON body. */
static int json_field(const char *body, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(body, pat);
    size_t n = 0;

    if (p == NULL)
        return -1;
    p += strlen(pat);
    if (*p == '"')
        p++;
    while (p[n] != '\0' && p[n] != '"' && p[n] != ',' && p[n] != '}' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return n > 0 ? 0 : -1;
}

struct run {
    const struct options *o;
    struct statement *st;
    CURLM *multi;
    struct slot *slots;
    struct curl_slist *headers;
    char url[2048], url_wait[2100];
    uint64_t next;
    double start, end_sending;
    struct stats stats;
    FILE *acks;
};

static void start_transfer(struct run *r, struct slot *sl)
{
    const struct statement *s = &r->st[r->next];

    sl->statement = r->next;
    sl->wait = r->o->wait_every != 0 && r->next % r->o->wait_every == r->o->wait_every - 1;
    sl->resp_len = 0;
    sl->resp[0] = '\0';
    r->next++;
    curl_easy_setopt(sl->easy, CURLOPT_URL, sl->wait ? r->url_wait : r->url);
    curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE, (long)s->len);
    sl->sent = now_s();
    curl_multi_add_handle(r->multi, sl->easy);
}

static void count_second(struct stats *st, double t)
{
    size_t sec = t < 0 ? 0 : (size_t)t;
    if (sec >= st->nseconds)
        return;
    st->per_second[sec]++;
}

static void finish_transfer(struct run *r, struct slot *sl, CURLcode code)
{
    struct stats *st = &r->stats;
    double t = now_s();
    long status = 0;

    curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
        st->transport_errors++;
        return;
    }
    if (status >= 0 && status < 600)
        st->by_status[status]++;
    if (status != 201 && status != 200) {
        st->errors++;
        return;
    }
    if (status == 201)
        st->created++;
    else
        st->duplicates++;
    samples_add(sl->wait ? &st->waited : &st->plain, t - sl->sent);
    if (t - sl->sent > SLOW_SECONDS) {
        long port = 0, conns = 0;
        curl_easy_getinfo(sl->easy, CURLINFO_LOCAL_PORT, &port);
        curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &conns);
        fprintf(stderr,
                "hh_load: slow answer: statement %llu%s sent at %.3f s, answered after "
                "%.3f s (local port %ld, %s connection)\n",
                (unsigned long long)sl->statement, sl->wait ? " (wait)" : "", sl->sent - r->start,
                t - sl->sent, port, conns > 0 ? "new" : "reused");
    }
    count_second(st, t - r->start);
    if (r->acks != NULL) {
        char id[80], index[32];
        if (json_field(sl->resp, "id", id, sizeof(id)) == 0 &&
            json_field(sl->resp, "index", index, sizeof(index)) == 0) {
            fprintf(r->acks, "%s %s\n", id, index);
            fflush(r->acks);
        }
    }
}

static int setup_slots(struct run *r)
{
    r->slots = calloc(r->o->concurrency, sizeof(*r->slots));
    if (r->slots == NULL)
        return -1;
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    r->headers = curl_slist_append(r->headers, "Expect:");
    for (uint64_t i = 0; i < r->o->concurrency; i++) {
        CURL *e = curl_easy_init();
        if (e == NULL)
            return -1;
        r->slots[i].easy = e;
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->slots[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &r->slots[i]);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    }
    return 0;
}

/* Runs transfers until everything is sent (or time is up) and answered. */
static void run_loop(struct run *r)
{
    uint64_t active = 0;
    double drain_until = 0;

    for (uint64_t i = 0; i < r->o->concurrency && r->next < r->o->count; i++, active++)
        start_transfer(r, &r->slots[i]);
    while (active > 0) {
        int running = 0, left = 0;
        CURLMsg *m;
        double t = now_s();
        int sending = !stop_requested && t < r->end_sending;

        if (!sending && drain_until == 0)
            drain_until = t + (stop_requested ? 0 : DRAIN_SECONDS);
        if (!sending && t > drain_until)
            break;
        curl_multi_perform(r->multi, &running);
        while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
            struct slot *sl = NULL;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
            CURLcode code = m->data.result;
            curl_multi_remove_handle(r->multi, m->easy_handle);
            finish_transfer(r, sl, code);
            if (!stop_requested && now_s() < r->end_sending && r->next < r->o->count)
                start_transfer(r, sl);
            else
                active--;
        }
        if (active > 0)
            curl_multi_poll(r->multi, NULL, 0, 100, NULL);
    }
}

static void read_rss(uint64_t pid, char *rss, size_t rss_cap, char *hwm, size_t hwm_cap)
{
    char path[64], line[256];
    FILE *f;

    snprintf(rss, rss_cap, "?");
    snprintf(hwm, hwm_cap, "?");
    snprintf(path, sizeof(path), "/proc/%llu/status", (unsigned long long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        const char *v = line + 6;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strncmp(line, "VmRSS:", 6) == 0)
            snprintf(rss, rss_cap, "%.40s", v);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            snprintf(hwm, hwm_cap, "%.40s", v);
    }
    fclose(f);
}

/* Median and minimum of the whole seconds of the run (the first and last are partial). */
static void window_rates(const struct stats *st, double elapsed, double *median, double *min)
{
    size_t whole = elapsed < 0 ? 0 : (size_t)elapsed;
    size_t n = whole > 2 ? whole - 2 : 0;
    uint32_t *v = n ? malloc(n * sizeof(*v)) : NULL;

    *median = *min = 0;
    if (v == NULL)
        return;
    for (size_t i = 0; i < n && i + 1 < st->nseconds; i++)
        v[i] = (uint32_t)st->per_second[i + 1];
    qsort(v, n, sizeof(*v), cmp_u32);
    *median = v[n / 2];
    *min = v[0];
    free(v);
}

static void report(struct run *r, double elapsed, double verify1, double verify_all, size_t ncpu)
{
    struct stats *st = &r->stats;
    uint64_t ok = st->created + st->duplicates;
    double rate = elapsed > 0 ? (double)ok / elapsed : 0, med = 0, min = 0;

    qsort(st->plain.us, st->plain.n, sizeof(uint32_t), cmp_u32);
    qsort(st->waited.us, st->waited.n, sizeof(uint32_t), cmp_u32);
    window_rates(st, elapsed, &med, &min);
    printf("node %s, %llu connections, %llu-byte payloads, %llu pre-signed\n", r->o->node,
           (unsigned long long)r->o->concurrency, (unsigned long long)r->o->payload_bytes,
           (unsigned long long)r->o->count);
    printf("sent %llu in %.1f s: %llu logged (201), %llu duplicates (200), %llu HTTP errors, "
           "%llu transport errors\n",
           (unsigned long long)r->next, elapsed, (unsigned long long)st->created,
           (unsigned long long)st->duplicates, (unsigned long long)st->errors,
           (unsigned long long)st->transport_errors);
    for (int s = 0; s < 600; s++)
        if (st->by_status[s] != 0 && s != 200 && s != 201)
            printf("  status %d: %llu\n", s, (unsigned long long)st->by_status[s]);
    printf("throughput: %.0f statements/s over the run; 1-s windows: median %.0f, min %.0f\n", rate,
           med, min);
    printf("latency POST -> 201 (durable, index): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
           "max %.1f ms (n=%zu)\n",
           percentile_ms(&st->plain, 0.5), percentile_ms(&st->plain, 0.9),
           percentile_ms(&st->plain, 0.99), percentile_ms(&st->plain, 1.0), st->plain.n);
    printf("slow answers: %zu over 1 s, %zu over 5 s, %zu over 20 s\n",
           count_over(&st->plain, 1e6) + count_over(&st->waited, 1e6),
           count_over(&st->plain, 5e6) + count_over(&st->waited, 5e6),
           count_over(&st->plain, 20e6) + count_over(&st->waited, 20e6));
    printf("latency POST?wait=checkpoint -> signed checkpoint: p50 %.1f ms, p90 %.1f ms, "
           "p99 %.1f ms, max %.1f ms (n=%zu)\n",
           percentile_ms(&st->waited, 0.5), percentile_ms(&st->waited, 0.9),
           percentile_ms(&st->waited, 0.99), percentile_ms(&st->waited, 1.0), st->waited.n);
    if (verify1 > 0)
        printf("raw Ed25519 verify: %.0f/s on 1 core, %.0f/s on %zu cores; ingest = %.1f%% of "
               "the %zu-core verify rate\n",
               verify1, verify_all, ncpu, verify_all > 0 ? 100.0 * rate / verify_all : 0, ncpu);
    if (r->o->pid != 0) {
        char rss[64], hwm[64];
        read_rss(r->o->pid, rss, sizeof(rss), hwm, sizeof(hwm));
        printf("node pid %llu: VmRSS %s, VmHWM %s\n", (unsigned long long)r->o->pid, rss, hwm);
    }
}

static int run_load(const struct options *o, struct statement *st, double v1, double vall)
{
    struct run r;
    int rc = 2;

    memset(&r, 0, sizeof(r));
    r.o = o;
    r.st = st;
    snprintf(r.url, sizeof(r.url), "%s/v1/statements", o->node);
    snprintf(r.url_wait, sizeof(r.url_wait), "%s/v1/statements?wait=checkpoint", o->node);
    r.stats.nseconds = (size_t)o->seconds + DRAIN_SECONDS + 2;
    r.stats.per_second = calloc(r.stats.nseconds, sizeof(uint64_t));
    r.multi = curl_multi_init();
    if (o->acks != NULL && (r.acks = fopen(o->acks, "a")) == NULL)
        fprintf(stderr, "hh_load: cannot open %s\n", o->acks);
    else if (r.stats.per_second != NULL && r.multi != NULL && setup_slots(&r) == 0) {
        curl_multi_setopt(r.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->concurrency);
        curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)o->concurrency);
        r.start = now_s();
        r.end_sending = r.start + o->seconds;
        run_loop(&r);
        double elapsed = now_s() - r.start;
        report(&r, elapsed, v1, vall, cpu_count());
        if (r.next == o->count && !stop_requested && now_s() < r.end_sending)
            printf("note: all %llu pre-signed statements were sent before --seconds ran out\n",
                   (unsigned long long)o->count);
        rc = r.stats.errors + r.stats.transport_errors > 0 ? 1 : 0;
    } else {
        fprintf(stderr, "hh_load: cannot set up %llu connections\n",
                (unsigned long long)o->concurrency);
    }
    for (uint64_t i = 0; r.slots != NULL && i < o->concurrency; i++) {
        if (r.slots[i].easy != NULL) {
            curl_multi_remove_handle(r.multi, r.slots[i].easy);
            curl_easy_cleanup(r.slots[i].easy);
        }
    }
    free(r.slots);
    curl_slist_free_all(r.headers);
    if (r.multi != NULL)
        curl_multi_cleanup(r.multi);
    if (r.acks != NULL)
        fclose(r.acks);
    free(r.stats.per_second);
    free(r.stats.plain.us);
    free(r.stats.waited.us);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    struct hh_error err = {0};
    struct hh_signer *key = NULL;
    struct statement *st = NULL;
    char path[4096], tag[32];
    double v1 = 0, vall = 0;
    int rc = 2;

    if (parse_options(argc, argv, &o) != 0)
        return 2;
    if (hh_init() != HH_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "hh_load: cannot initialise libsodium or libcurl\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (o.tag == NULL) {
        snprintf(tag, sizeof(tag), "%08x%08x", randombytes_random(), randombytes_random());
        o.tag = tag;
    }
    snprintf(path, sizeof(path), "%s/operator.key", o.dir);
    if (hh_load_signer(path, &key, &err) != HH_OK) {
        fprintf(stderr, "hh_load: %s: %s\n", path, err.msg);
        goto out;
    }
    if (o.verify_rate) {
        size_t msg = o.payload_bytes + 60; /* about the PAE of one statement */
        fprintf(stderr,
                "hh_load: measuring the raw Ed25519 verify rate (1 s on 1 core, then 1 s "
                "on %zu cores)\n",
                cpu_count());
        v1 = verify_rate(1, 1.0, msg);
        vall = verify_rate(cpu_count(), 1.0, msg);
    }
    double t0 = now_s();
    fprintf(stderr, "hh_load: pre-signing %llu statements (tag %s)\n", (unsigned long long)o.count,
            o.tag);
    if ((st = presign(&o, key, o.tag)) == NULL)
        goto out;
    fprintf(stderr, "hh_load: signed in %.1f s; submitting for up to %.0f s\n", now_s() - t0,
            o.seconds);
    rc = run_load(&o, st, v1, vall);
out:
    for (uint64_t i = 0; st != NULL && i < o.count; i++)
        free(st[i].body);
    free(st);
    hh_signer_free(key);
    curl_global_cleanup();
    return rc;
}
