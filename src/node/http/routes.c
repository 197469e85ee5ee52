/*
 * routes.c - the route table of the node's HTTP server: every path it
 * serves, in one place. A new API is a new row.
 */
#include "http/http.h"

#include <string.h>

static const struct hh_route routes[] = {
    {"GET", "/checkpoint", false, hh_api_checkpoint, 0},
    {"GET", "/tile/", true, hh_api_tile, 0},
    {"GET", "/v1/statements/", true, hh_api_get_statement, 0},
    {"POST", "/v1/statements", false, hh_api_post_statement, 0},
    {"GET", "/v1/proof/consistency", false, hh_api_consistency, 0},
    {"GET", "/v1/blobs/", true, hh_api_get_blob, 0},
    {"POST", "/add-checkpoint", false, hh_api_add_checkpoint, 0},
    {"GET", "/v1/gossip", false, hh_api_gossip, 0},
    {"GET", "/v1/evidence", false, hh_api_evidence, 0},
    {"GET", "/v1/status", false, hh_api_status, 0},
};

static bool path_matches(const struct hh_route *rt, const char *url)
{
    if (!rt->prefix)
        return strcmp(url, rt->path) == 0;
    return strncmp(url, rt->path, strlen(rt->path)) == 0;
}

const struct hh_route *hh_route_find(const char *method, const char *url, bool *path_known)
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;

    *path_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_matches(&routes[i], url))
            continue;
        *path_known = true;
        if (strcmp(routes[i].method, m) == 0)
            return &routes[i];
    }
    return NULL;
}
