/*
 * witness_load.c - add-checkpoint load on a witness node for many logs: the
 * hh_witness_load binary.
 *
 *   hh_witness_load setup DIR K
 *   hh_witness_load run URL DIR K [--conns C] [--seconds S] [--warmup W]
 *   hh_witness_load baseline DIR [--seconds S]
 *
 * setup gives the node directory DIR (made by `henhouse init`) K logs to
 * witness in plain mode: it writes their verifier keys under DIR/bench-logs/
 * and appends "log NAME ORIGIN http://127.0.0.1:9 VKEY" and "log-mode NAME
 * plain" lines to DIR/henhouse.conf (plain mode never fetches, so the URL is
 * a dummy). The log keys are derived from a fixed seed and the log number,
 * so run makes the same keys again and no secret is written anywhere.
 *
 * run is only a client: with the node serving DIR at URL, it advances every
 * log through sizes 1, 2, 3, ... Each request is a real C2SP tlog-witness
 * add-checkpoint: a checkpoint of the log's in-memory tree (hh_memtree),
 * signed with the log's key, with the consistency proof from the size the
 * witness last cosigned. C keep-alive connections (libcurl multi, one
 * thread) each own a disjoint set of logs, so no two requests race for one
 * log; every 16th cosignature is verified against DIR/witness.vkey. After W
 * seconds of warm-up it measures S seconds: requests/s, latency
 * percentiles, errors by status, and the client's own CPU time.
 *
 * baseline measures, in DIR's file system and this process: raw Ed25519
 * verify and sign rates per CPU-second of one core (and per wall-clock
 * second; one of each per request is the witness's crypto cost) and the
 * rate of 4 KiB write + fdatasync on a file (each request commits one
 * fsynced SQLite transaction). Exit 0 on success, 1 when any
 * request failed or a cosignature did not verify, 2 on usage or I/O errors.
 */
#include <henhouse/henhouse.h>

#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <henhouse/client/files.h>

#define SEED_TAG   "henhouse bench witness_load v1"
#define DUMMY_URL  "http://127.0.0.1:9"
#define MAX_LOGS   100000
#define MAX_CONNS  1024
#define RESP_MAX   4096
#define VERIFY_ONE 16 /* verify every 16th cosignature */

struct blog {
    struct hh_signer *key;
    struct hh_memtree *tree;
    uint64_t cosigned; /* the size the witness last cosigned */
    char origin[64];
};

struct slot {
    CURL *easy;
    size_t first, stride, next, k; /* owns logs first, first + stride, ... below k */
    size_t log;                    /* the log of the request in flight */
    uint64_t size;
    char *body, *note;
    size_t body_len, note_len;
    char resp[RESP_MAX];
    size_t resp_len;
    double started;
};

struct stats {
    double *lat_ms;
    size_t n, cap;
    uint64_t ok, conflicts, other, verified, bad_cosig;
    long first_status;
    char first_error[256];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The signer of log i: Ed25519, named after its origin, from a seed fixed by i. */
static hh_status log_key(size_t i, struct hh_signer **out, char *origin, size_t cap,
                         struct hh_error *err)
{
    char tag[64], text[HH_KEY_TEXT_MAX], seed64[64], hex[9];
    uint8_t raw[33], pk[32], sk[64];
    struct hh_hash seed;
    hh_status rc;

    snprintf(origin, cap, "bench.example/log%05zu", i);
    int n = snprintf(tag, sizeof(tag), "%s %zu", SEED_TAG, i);
    hh_sha256(tag, (size_t)n, &seed);
    raw[0] = HH_KEY_ED25519;
    memcpy(raw + 1, seed.b, 32);
    crypto_sign_seed_keypair(pk, sk, seed.b);
    snprintf(hex, sizeof(hex), "%08x",
             (unsigned)hh_key_id(origin, strlen(origin), HH_KEY_ED25519, pk));
    rc = hh_base64_encode(raw, sizeof(raw), seed64, sizeof(seed64));
    if (rc == HH_OK) {
        n = snprintf(text, sizeof(text), "PRIVATE+KEY+%s+%s+%s", origin, hex, seed64);
        rc = hh_signer_parse(text, (size_t)n, out, err);
    }
    sodium_memzero(text, sizeof(text));
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(raw, sizeof(raw));
    return rc;
}

static hh_status append_file(const char *path, const char *text, struct hh_error *err)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    bool ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? HH_OK : hh_error_set(err, HH_ERR_IO, "%s: write failed", path);
}

static hh_status setup(const char *dir, size_t k, struct hh_error *err)
{
    char path[4096], vtext[HH_KEY_TEXT_MAX + 1], origin[64], line[512];
    size_t cap = k * 160 + 64, used = 0;
    char *conf = malloc(cap);
    hh_status rc = conf != NULL ? HH_OK : hh_error_set(err, HH_ERR_NOMEM, "out of memory");

    snprintf(path, sizeof(path), "%s/bench-logs", dir);
    if (rc == HH_OK && mkdir(path, 0755) != 0 && errno != EEXIST)
        rc = hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
    if (rc == HH_OK)
        used = (size_t)snprintf(conf, cap, "# %zu plain-mode logs added by hh_witness_load\n", k);
    for (size_t i = 0; rc == HH_OK && i < k; i++) {
        struct hh_signer *s = NULL;
        struct hh_verifier v;
        rc = log_key(i, &s, origin, sizeof(origin), err);
        if (rc == HH_OK) {
            hh_signer_verifier(s, &v);
            rc = hh_verifier_format(&v, vtext, sizeof(vtext));
        }
        hh_signer_free(s);
        snprintf(path, sizeof(path), "%s/bench-logs/l%05zu.vkey", dir, i);
        size_t vlen = strlen(vtext);
        if (rc == HH_OK && vlen + 1 < sizeof(vtext))
            memcpy(vtext + vlen, "\n", 2);
        if (rc == HH_OK)
            rc = hh_write_new_file(path, vtext, strlen(vtext), 0644, err);
        int n = snprintf(line, sizeof(line),
                         "log l%05zu %s " DUMMY_URL " bench-logs/l%05zu.vkey\nlog-mode l%05zu "
                         "plain\n",
                         i, origin, i, i);
        if (rc == HH_OK && (n < 0 || used + (size_t)n >= cap))
            rc = hh_error_set(err, HH_ERR_INTERNAL, "config text overflow");
        if (rc == HH_OK) {
            memcpy(conf + used, line, (size_t)n + 1);
            used += (size_t)n;
        }
    }
    snprintf(path, sizeof(path), "%s/henhouse.conf", dir);
    if (rc == HH_OK)
        rc = append_file(path, conf, err);
    free(conf);
    return rc;
}

/* ---- requests ---- */

static hh_status build_request(struct blog *l, struct slot *s, struct hh_error *err)
{
    struct hh_hash_reader r = hh_memtree_reader(l->tree);
    struct hh_hash proof[HH_MERKLE_MAX_PROOF], leaf;
    struct hh_checkpoint cp;
    char text[HH_CHECKPOINT_TEXT_MAX], entry[96];
    size_t np = 0, tlen = 0;
    hh_status rc = HH_OK;

    free(s->body);
    free(s->note);
    s->body = s->note = NULL;
    /*
     * Leaves are fixed by (origin, index), so the tree can catch up with a
     * witness that cosigned more of it in an earlier run; then it grows by one.
     * If the last request was refused, the size already built is sent again.
     */
    uint64_t want =
        hh_memtree_size(l->tree) > l->cosigned ? hh_memtree_size(l->tree) : l->cosigned + 1;
    while (rc == HH_OK && hh_memtree_size(l->tree) < want) {
        uint64_t i = hh_memtree_size(l->tree);
        int n = snprintf(entry, sizeof(entry), "%s entry %llu", l->origin, (unsigned long long)i);
        hh_merkle_leaf_hash(entry, (size_t)n, &leaf);
        rc = hh_memtree_append(l->tree, &leaf);
    }
    memset(&cp, 0, sizeof(cp));
    memcpy(cp.origin, l->origin, strlen(l->origin) + 1);
    cp.size = hh_memtree_size(l->tree);
    if (rc == HH_OK)
        rc = hh_merkle_root(&r, cp.size, &cp.root, err);
    if (rc == HH_OK)
        rc = hh_checkpoint_format(&cp, text, sizeof(text), &tlen);
    if (rc == HH_OK)
        rc = hh_note_sign(l->key, text, tlen, &s->note, &s->note_len, err);
    if (rc == HH_OK && l->cosigned > 0)
        rc = hh_merkle_consistency_proof(&r, l->cosigned, cp.size, proof, &np, err);
    if (rc == HH_OK)
        rc = hh_witness_request_format(l->cosigned, proof, np, s->note, s->note_len, &s->body,
                                       &s->body_len, err);
    s->size = cp.size;
    return rc;
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct slot *s = ctx;
    size_t len = size * n;
    size_t room = RESP_MAX - 1 - s->resp_len;
    size_t take = len < room ? len : room;

    memcpy(s->resp + s->resp_len, p, take);
    s->resp_len += take;
    s->resp[s->resp_len] = '\0';
    return len;
}

static hh_status start(CURLM *m, struct blog *logs, struct slot *s, struct hh_error *err)
{
    s->log = s->next;
    s->next += s->stride;
    if (s->next >= s->k)
        s->next = s->first;
    hh_status rc = build_request(&logs[s->log], s, err);
    if (rc != HH_OK)
        return rc;
    s->resp_len = 0;
    s->resp[0] = '\0';
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)s->body_len);
    s->started = now_s();
    if (curl_multi_add_handle(m, s->easy) != CURLM_OK)
        return hh_error_set(err, HH_ERR_IO, "curl_multi_add_handle failed");
    return HH_OK;
}

static bool cosignature_ok(const struct slot *s, const struct hh_verifier *witness)
{
    char *full = malloc(s->note_len + s->resp_len + 1);
    struct hh_note *n = NULL;
    struct hh_note_verified v;
    size_t nv = 0;
    bool ok = false;

    if (full == NULL)
        return false;
    memcpy(full, s->note, s->note_len);
    memcpy(full + s->note_len, s->resp, s->resp_len);
    ok = hh_note_parse(full, s->note_len + s->resp_len, &n, NULL) == HH_OK &&
         hh_note_verify(n, witness, 1, &v, 1, &nv, NULL) == HH_OK && nv == 1;
    hh_note_free(n);
    free(full);
    return ok;
}

static void record(struct stats *st, double ms)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 65536;
        double *bigger = realloc(st->lat_ms, cap * sizeof(*bigger));
        if (bigger == NULL)
            return;
        st->lat_ms = bigger;
        st->cap = cap;
    }
    st->lat_ms[st->n++] = ms;
}

/* A finished transfer: updates the log's state and, when measuring, the stats. */
static void finish(struct slot *s, struct blog *logs, long status, bool measuring,
                   const struct hh_verifier *witness, struct stats *st)
{
    struct blog *l = &logs[s->log];
    double ms = (now_s() - s->started) * 1000.0;
    uint64_t cur = 0;

    if (status == 200) {
        l->cosigned = s->size;
        if (measuring) {
            st->ok++;
            record(st, ms);
            if (st->ok % VERIFY_ONE == 0) {
                st->verified++;
                if (!cosignature_ok(s, witness))
                    st->bad_cosig++;
            }
        }
        return;
    }
    if (status == 409 && s->resp_len > 1 &&
        hh_parse_u64(s->resp, s->resp_len - 1, &cur, NULL) == HH_OK && cur < ((uint64_t)1 << 32)) {
        l->cosigned = cur; /* catch up (or back) with what the witness holds */
        if (measuring)
            st->conflicts++;
        return;
    }
    if (!measuring)
        return;
    st->other++;
    if (st->first_status == 0) {
        st->first_status = status;
        snprintf(st->first_error, sizeof(st->first_error), "%.200s", s->resp);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const struct stats *st, double p)
{
    if (st->n == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(st->n - 1) + 0.5);
    return st->lat_ms[i];
}

struct run_opts {
    const char *url, *dir;
    size_t k, conns;
    double seconds, warmup;
};

static hh_status make_slots(const struct run_opts *o, struct slot *slots, struct curl_slist *hdrs,
                            struct hh_error *err)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s/add-checkpoint", o->url);
    for (size_t i = 0; i < o->conns; i++) {
        struct slot *s = &slots[i];
        s->first = s->next = i;
        s->stride = o->conns;
        s->k = o->k;
        s->easy = curl_easy_init();
        if (s->easy == NULL)
            return hh_error_set(err, HH_ERR_NOMEM, "curl_easy_init failed");
        curl_easy_setopt(s->easy, CURLOPT_URL, url);
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    }
    return HH_OK;
}

/* Runs the load until warm-up + measured time are over; the stats cover the measured part. */
static hh_status drive(const struct run_opts *o, CURLM *m, struct slot *slots, struct blog *logs,
                       const struct hh_verifier *witness, struct stats *st, double *elapsed,
                       double *cpu, struct hh_error *err)
{
    double t0 = now_s(), t_measure = t0 + o->warmup, t_end = t_measure + o->seconds, c0 = 0;
    bool measuring = false;
    hh_status rc = HH_OK;
    int running = 0;

    for (size_t i = 0; rc == HH_OK && i < o->conns; i++)
        rc = start(m, logs, &slots[i], err);
    while (rc == HH_OK) {
        double now = now_s();
        if (!measuring && now >= t_measure) {
            measuring = true;
            c0 = cpu_s();
        }
        if (now >= t_end)
            break;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left = 0;
        while (rc == HH_OK && (msg = curl_multi_info_read(m, &left)) != NULL) {
            struct slot *s = NULL;
            long status = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            if (msg->data.result != CURLE_OK)
                rc = hh_error_set(err, HH_ERR_IO, "request failed: %s",
                                  curl_easy_strerror(msg->data.result));
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(m, msg->easy_handle);
            if (rc == HH_OK) {
                finish(s, logs, status, measuring, witness, st);
                rc = start(m, logs, s, err);
            }
        }
        if (rc == HH_OK)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    *elapsed = now_s() - t_measure;
    *cpu = cpu_s() - c0;
    return rc;
}

static hh_status load_witness_key(const char *dir, struct hh_verifier *v, struct hh_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/witness.vkey", dir);
    return hh_load_verifier(path, v, err);
}

static hh_status run(const struct run_opts *o, struct hh_error *err)
{
    struct blog *logs = calloc(o->k, sizeof(*logs));
    struct slot *slots = calloc(o->conns, sizeof(*slots));
    struct stats st = {0};
    struct hh_verifier witness;
    struct curl_slist *hdrs = NULL;
    CURLM *m = NULL;
    double elapsed = 0, cpu = 0;
    hh_status rc = logs && slots ? HH_OK : hh_error_set(err, HH_ERR_NOMEM, "out of memory");

    if (rc == HH_OK)
        rc = load_witness_key(o->dir, &witness, err);
    for (size_t i = 0; rc == HH_OK && i < o->k; i++) {
        rc = log_key(i, &logs[i].key, logs[i].origin, sizeof(logs[i].origin), err);
        if (rc == HH_OK && (logs[i].tree = hh_memtree_new()) == NULL)
            rc = hh_error_set(err, HH_ERR_NOMEM, "out of memory");
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: text/plain; charset=utf-8");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (rc == HH_OK && (m = curl_multi_init()) == NULL)
        rc = hh_error_set(err, HH_ERR_NOMEM, "curl_multi_init failed");
    if (rc == HH_OK)
        rc = make_slots(o, slots, hdrs, err);
    for (size_t i = 0; rc == HH_OK && i < o->conns; i++)
        curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE, (char *)&slots[i]);
    if (rc == HH_OK)
        rc = drive(o, m, slots, logs, &witness, &st, &elapsed, &cpu, err);
    if (rc == HH_OK) {
        qsort(st.lat_ms, st.n, sizeof(double), cmp_double);
        printf("witness_load: %zu logs, %zu connections, %.1f s measured after %.1f s warm-up\n",
               o->k, o->conns, elapsed, o->warmup);
        printf("RESULT rps %.1f ok %llu p50_ms %.3f p90_ms %.3f p99_ms %.3f max_ms %.3f "
               "conflicts %llu errors %llu verified %llu bad_cosignatures %llu client_cpu %.2f\n",
               (double)st.ok / elapsed, (unsigned long long)st.ok, pct(&st, 50), pct(&st, 90),
               pct(&st, 99), st.n ? st.lat_ms[st.n - 1] : 0.0, (unsigned long long)st.conflicts,
               (unsigned long long)st.other, (unsigned long long)st.verified,
               (unsigned long long)st.bad_cosig, elapsed > 0 ? cpu / elapsed : 0.0);
        if (st.first_status != 0)
            printf("first failure: HTTP %ld %s\n", st.first_status, st.first_error);
        if (st.other > 0 || st.bad_cosig > 0 || st.ok == 0)
            rc = hh_error_set(err, HH_ERR_VERIFY, "%llu failed requests, %llu bad cosignatures",
                              (unsigned long long)st.other, (unsigned long long)st.bad_cosig);
    }
    for (size_t i = 0; slots != NULL && i < o->conns; i++) {
        if (slots[i].easy != NULL) {
            curl_multi_remove_handle(m, slots[i].easy);
            curl_easy_cleanup(slots[i].easy);
        }
        free(slots[i].body);
        free(slots[i].note);
    }
    for (size_t i = 0; logs != NULL && i < o->k; i++) {
        hh_signer_free(logs[i].key);
        hh_memtree_free(logs[i].tree);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    free(st.lat_ms);
    free(slots);
    free(logs);
    return rc;
}

/* ---- baselines ---- */

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Rates per second of this thread's CPU time, so that other processes
 * competing for the cores do not lower them (the wall-clock rate is *wall).
 */
static double rate_verify(double seconds, const struct hh_signer *s, const char *msg, size_t len,
                          double *wall)
{
    struct hh_verifier v;
    uint8_t sig[64];
    uint64_t n = 0, good = 0;
    double t0 = now_s(), c0 = thread_cpu_s(), t;

    hh_signer_verifier(s, &v);
    hh_signer_sign_raw(s, msg, len, sig);
    do {
        for (int i = 0; i < 64; i++, n++)
            good += hh_verifier_signed(&v, msg, len, sig, sizeof(sig)) != 0;
        t = thread_cpu_s() - c0;
    } while (t < seconds);
    *wall = (double)n / (now_s() - t0);
    return good == n ? (double)n / t : -1.0;
}

static double rate_sign(double seconds, const struct hh_signer *s, const char *msg, size_t len,
                        double *wall)
{
    uint8_t sig[64];
    uint64_t n = 0;
    volatile uint8_t sink = 0;
    double t0 = now_s(), c0 = thread_cpu_s(), t;

    do {
        for (int i = 0; i < 64; i++, n++) {
            hh_signer_sign_raw(s, msg, len, sig);
            sink ^= sig[0];
        }
        t = thread_cpu_s() - c0;
    } while (t < seconds);
    (void)sink;
    *wall = (double)n / (now_s() - t0);
    return (double)n / t;
}

static double rate_fdatasync(const char *dir, double seconds, struct hh_error *err)
{
    char path[4096], block[4096];
    uint64_t n = 0;
    double t0, t = 0;
    int fd;

    snprintf(path, sizeof(path), "%s/.fsync-probe.%d", dir, (int)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
        return -1;
    }
    memset(block, 'x', sizeof(block));
    /* Allocate the 1 MiB ring first: a reused SQLite WAL is overwritten in place. */
    for (int i = 0; i < 256; i++)
        if (pwrite(fd, block, sizeof(block), (off_t)i * 4096) != (ssize_t)sizeof(block))
            break;
    if (fsync(fd) != 0) {
        hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    t0 = now_s();
    do { /* overwrite like a WAL, block after block round the ring */
        if (pwrite(fd, block, sizeof(block), (off_t)(n % 256) * 4096) != (ssize_t)sizeof(block) ||
            fdatasync(fd) != 0) {
            hh_error_set(err, HH_ERR_IO, "%s: %s", path, strerror(errno));
            n = 0;
            break;
        }
        n++;
        t = now_s() - t0;
    } while (t < seconds);
    close(fd);
    unlink(path);
    return n > 0 ? (double)n / t : -1.0;
}

static hh_status baseline(const char *dir, double seconds, struct hh_error *err)
{
    static const char msg[] = "bench.example/log00000\n12345\n"
                              "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=\n";
    struct hh_signer *s = NULL;
    char origin[64];
    hh_status rc = log_key(0, &s, origin, sizeof(origin), err);

    if (rc != HH_OK)
        return rc;
    double vw = 0, gw = 0;
    double v = rate_verify(seconds, s, msg, sizeof(msg) - 1, &vw);
    double g = rate_sign(seconds, s, msg, sizeof(msg) - 1, &gw);
    hh_signer_free(s);
    double f = rate_fdatasync(dir, seconds, err);
    if (v < 0)
        return hh_error_set(err, HH_ERR_VERIFY, "a signature did not verify");
    if (f < 0)
        return HH_ERR_IO;
    printf("BASELINE verify_per_s %.0f sign_per_s %.0f fdatasync_per_s %.0f "
           "crypto_bound_2cores_per_s %.0f verify_wall_per_s %.0f sign_wall_per_s %.0f\n",
           v, g, f, 2.0 / (1.0 / v + 1.0 / g), vw, gw);
    return HH_OK;
}

/* ---- main ---- */

static int usage(void)
{
    fputs("usage: hh_witness_load setup DIR K\n"
          "       hh_witness_load run URL DIR K [--conns C] [--seconds S] [--warmup W]\n"
          "       hh_witness_load baseline DIR [--seconds S]\n",
          stderr);
    return 2;
}

static bool parse_size(const char *s, uint64_t lo, uint64_t hi, size_t *out)
{
    uint64_t v = 0;
    if (hh_parse_u64(s, strlen(s), &v, NULL) != HH_OK || v < lo || v > hi)
        return false;
    *out = (size_t)v;
    return true;
}

static bool parse_flags(int argc, char **argv, int first, struct run_opts *o)
{
    for (int i = first; i < argc; i += 2) {
        size_t v = 0;
        if (i + 1 >= argc || !parse_size(argv[i + 1], 0, 100000, &v))
            return false;
        if (strcmp(argv[i], "--conns") == 0 && v >= 1 && v <= MAX_CONNS)
            o->conns = v;
        else if (strcmp(argv[i], "--seconds") == 0 && v >= 1)
            o->seconds = (double)v;
        else if (strcmp(argv[i], "--warmup") == 0)
            o->warmup = (double)v;
        else
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    struct hh_error err = {0};
    struct run_opts o = {NULL, NULL, 0, 64, 20, 2};
    hh_status rc;

    if (argc < 3 || hh_init() != HH_OK)
        return usage();
    if (strcmp(argv[1], "setup") == 0 && argc == 4 && parse_size(argv[3], 1, MAX_LOGS, &o.k)) {
        rc = setup(argv[2], o.k, &err);
    } else if (strcmp(argv[1], "baseline") == 0 &&
               (o.seconds = 1, parse_flags(argc, argv, 3, &o))) {
        rc = baseline(argv[2], o.seconds, &err);
    } else if (strcmp(argv[1], "run") == 0 && argc >= 5 && parse_size(argv[4], 1, MAX_LOGS, &o.k) &&
               parse_flags(argc, argv, 5, &o)) {
        o.url = argv[2];
        o.dir = argv[3];
        if (o.conns > o.k)
            o.conns = o.k; /* each connection owns at least one log */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return 2;
        rc = run(&o, &err);
        curl_global_cleanup();
    } else {
        return usage();
    }
    if (rc != HH_OK) {
        fprintf(stderr, "hh_witness_load: %s\n", err.msg);
        return rc == HH_ERR_VERIFY ? 1 : 2;
    }
    return 0;
}
