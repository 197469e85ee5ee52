/*
 * test_evidence_golden.c - the golden evidence files against their expected
 * verdicts.
 *
 * tests/vectors/data/evidence-golden/verdicts.txt names each golden file with
 * the status, kind, proven flag and origin hh_evidence_verify must give it
 * (derived from the file and docs/evidence.md, see the README there). Every
 * line is checked against its file; a file in that directory or in
 * fuzz/corpus/evidence/ without a line fails, as does a line without a file,
 * and a fuzz corpus file must be byte-identical to its copy, so a golden file
 * cannot change or appear without someone deriving its verdict.
 */
#include <henhouse/henhouse.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define GOLDEN_DIR    "evidence-golden"
#define MANIFEST      GOLDEN_DIR "/verdicts.txt"
#define CORPUS_DIR    HH_VECTORS_DIR "/../../../fuzz/corpus/evidence"
#define GOLDEN_MAX    64
#define NAME_MAX_LEN  128
#define FIELD_MAX_LEN 256

struct golden {
    char name[NAME_MAX_LEN];
    hh_status status;
    enum hh_evidence_kind kind;
    bool proven;
    char origin[FIELD_MAX_LEN];
};

struct manifest {
    struct golden g[GOLDEN_MAX];
    size_t n;
};

static const struct {
    const char *name;
    hh_status status;
} statuses[] = {{"ok", HH_OK}, {"invalid", HH_ERR_INVALID}, {"too-large", HH_ERR_TOO_LARGE}};

static const struct {
    const char *name;
    enum hh_evidence_kind kind;
} kinds[] = {{"split-view", HH_EVIDENCE_SPLIT_VIEW},
             {"inconsistent", HH_EVIDENCE_INCONSISTENT},
             {"unauthorised-entry", HH_EVIDENCE_UNAUTHORISED_ENTRY},
             {"bad-data", HH_EVIDENCE_BAD_DATA}};

/* Copies the next space-separated field of [*p, end) into out; false if absent or too long. */
static bool next_field(const char **p, const char *end, char *out, size_t cap)
{
    const char *s = *p;
    size_t n = 0;

    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (s + n < end && s[n] != ' ' && s[n] != '\t')
        n++;
    *p = s + n;
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static bool parse_status(const char *s, hh_status *out)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(s, statuses[i].name) == 0) {
            *out = statuses[i].status;
            return true;
        }
    return false;
}

static bool parse_kind(const char *s, enum hh_evidence_kind *out)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    return false;
}

/* The verdict fields: a kind, yes/no and an origin when ok, "-" three times when malformed. */
static bool parse_verdict(const char *kind, const char *proven, const char *origin,
                          struct golden *g)
{
    if (g->status != HH_OK)
        return strcmp(kind, "-") == 0 && strcmp(proven, "-") == 0 && strcmp(origin, "-") == 0;
    if (!parse_kind(kind, &g->kind) || (strcmp(proven, "yes") != 0 && strcmp(proven, "no") != 0))
        return false;
    g->proven = strcmp(proven, "yes") == 0;
    return snprintf(g->origin, sizeof(g->origin), "%s", origin) < (int)sizeof(g->origin);
}

/* One manifest line (no newline) into g; false if it is not NAME STATUS KIND PROVEN ORIGIN. */
static bool parse_line(const char *s, const char *end, struct golden *g)
{
    char status[FIELD_MAX_LEN], kind[FIELD_MAX_LEN], proven[FIELD_MAX_LEN];
    char origin[FIELD_MAX_LEN], extra[FIELD_MAX_LEN];

    memset(g, 0, sizeof(*g));
    if (!next_field(&s, end, g->name, sizeof(g->name)) ||
        !next_field(&s, end, status, sizeof(status)) || !next_field(&s, end, kind, sizeof(kind)) ||
        !next_field(&s, end, proven, sizeof(proven)) ||
        !next_field(&s, end, origin, sizeof(origin)) || next_field(&s, end, extra, sizeof(extra)))
        return false;
    return parse_status(status, &g->status) && parse_verdict(kind, proven, origin, g);
}

static const struct golden *find(const struct manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->g[i].name, name) == 0)
            return &m->g[i];
    return NULL;
}

static bool blank_or_comment(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s == end || *s == '#';
}

/* Loads verdicts.txt; false (with a note naming the line) if any line is malformed. */
static bool load_manifest(struct manifest *m)
{
    size_t len = 0, lineno = 0;
    char *text = hh_test_read_file(hh_test_vector_path(MANIFEST), &len);
    const char *p = text, *end = text + len;
    bool ok = text != NULL;

    memset(m, 0, sizeof(*m));
    while (ok && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        lineno++;
        if (!blank_or_comment(p, eol)) {
            ok = m->n < GOLDEN_MAX && parse_line(p, eol, &m->g[m->n]) &&
                 find(m, m->g[m->n].name) == NULL;
            if (!ok)
                hh_test_note("%s line %zu: malformed, duplicate or too many", MANIFEST, lineno);
            m->n++;
        }
        p = eol + (nl != NULL);
    }
    free(text);
    return ok && m->n > 0;
}

static char *read_golden(const char *name, size_t *len)
{
    char rel[NAME_MAX_LEN + sizeof(GOLDEN_DIR) + 2];
    if (snprintf(rel, sizeof(rel), "%s/%s", GOLDEN_DIR, name) >= (int)sizeof(rel))
        return NULL;
    return hh_test_read_file(hh_test_vector_path(rel), len);
}

/* hh_evidence_verify on one golden file gives exactly its manifest verdict. */
static bool verdict_matches(const struct golden *g)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};
    size_t len = 0;
    char *json = read_golden(g->name, &len);
    hh_status rc;
    bool ok;

    if (json == NULL) {
        hh_test_note("%s: cannot read", g->name);
        return false;
    }
    rc = hh_evidence_verify(json, len, &v, &err);
    if (g->status == HH_OK)
        ok = rc == HH_OK && v.kind == g->kind && v.proven == g->proven &&
             strcmp(v.origin, g->origin) == 0 && v.explanation[0] != '\0';
    else /* a malformed file: the expected code, a message, and a zeroed verdict */
        ok = rc == g->status && err.code == g->status && err.msg[0] != '\0' && v.kind == 0 &&
             !v.proven && v.origin[0] == '\0' && v.explanation[0] == '\0';
    if (!ok)
        hh_test_note("%s: got status %d (%s), kind %s, proven %d, origin '%s': %s", g->name,
                     (int)rc, err.msg, hh_evidence_kind_name(v.kind), (int)v.proven, v.origin,
                     v.explanation);
    free(json);
    return ok;
}

TEST(evidence_golden_manifest_loads)
{
    static struct manifest m;
    size_t malformed = 0, proven = 0;

    CHECK(load_manifest(&m));
    for (size_t i = 0; i < m.n; i++) {
        malformed += m.g[i].status != HH_OK;
        proven += m.g[i].status == HH_OK && m.g[i].proven;
    }
    /* The set covers each outcome: proven, not proven, malformed. */
    CHECK(proven > 0 && proven + malformed < m.n && malformed > 0);
}

TEST(evidence_golden_verdicts)
{
    static struct manifest m;

    if (!CHECK(load_manifest(&m)))
        return;
    for (size_t i = 0; i < m.n; i++)
        CHECK(verdict_matches(&m.g[i]));
}

/* Every regular file of dir (but those in skip) has a manifest line; counts them in *n. */
static bool all_listed(const struct manifest *m, const char *dir, const char *const *skip,
                       size_t *n)
{
    struct dirent *d;
    DIR *dh = opendir(dir);
    bool ok = dh != NULL;

    *n = 0;
    if (dh == NULL)
        hh_test_note("cannot open %s", dir);
    while (dh != NULL && (d = readdir(dh)) != NULL) {
        bool skipped = d->d_name[0] == '.';
        for (size_t i = 0; skip != NULL && skip[i] != NULL && !skipped; i++)
            skipped = strcmp(d->d_name, skip[i]) == 0;
        if (skipped)
            continue;
        (*n)++;
        if (find(m, d->d_name) == NULL) {
            hh_test_note("%s/%s has no verdict in %s", dir, d->d_name, MANIFEST);
            ok = false;
        }
    }
    if (dh != NULL)
        closedir(dh);
    return ok;
}

TEST(evidence_golden_every_file_has_a_verdict)
{
    static struct manifest m;
    static const char *const own[] = {"verdicts.txt", "README.md", NULL};
    size_t n = 0;

    if (!CHECK(load_manifest(&m)))
        return;
    CHECK(all_listed(&m, hh_test_vector_path(GOLDEN_DIR), own, &n));
    CHECK(n == m.n); /* and every line has its file */
    CHECK(all_listed(&m, CORPUS_DIR, NULL, &n));
    CHECK(n > 0);
}

/* The fuzz corpus's file name is byte-identical to its copy in GOLDEN_DIR. */
static bool same_as_copy(const char *name)
{
    char path[4096];
    size_t len = 0, clen = 0;
    char *orig = NULL, *copy = read_golden(name, &clen);
    bool ok = false;

    if (snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, name) < (int)sizeof(path))
        orig = hh_test_read_file(path, &len);
    ok = orig != NULL && copy != NULL && len == clen && memcmp(orig, copy, len) == 0;
    if (!ok)
        hh_test_note("%s has no byte-identical copy in %s: copy it, derive its verdict", path,
                     GOLDEN_DIR);
    free(orig);
    free(copy);
    return ok;
}

TEST(evidence_golden_corpus_matches_copies)
{
    static struct manifest m;
    struct dirent *d;
    DIR *dh = opendir(CORPUS_DIR);
    size_t n = 0;

    if (!CHECK(dh != NULL) || !CHECK(load_manifest(&m))) {
        if (dh != NULL)
            closedir(dh);
        return;
    }
    while ((d = readdir(dh)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        n++;
        CHECK(same_as_copy(d->d_name));
    }
    closedir(dh);
    CHECK(n > 0);
}
