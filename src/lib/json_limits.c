/*
 * json_limits.c - bounded loading of untrusted JSON (see json_limits.h).
 */
#include "json_limits.h"

#include <stdbool.h>

/* Refuses nesting deeper than max, counting brackets outside strings. */
static hh_status check_depth(const char *json, size_t len, size_t max, const char *what,
                             struct hh_error *err)
{
    size_t depth = 0;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return hh_error_set(err, HH_ERR_TOO_LARGE, "%s nests deeper than %zu at byte %zu",
                                    what, max, i);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return HH_OK;
}

hh_status hh__json_load_object(const char *json, size_t len, size_t max_bytes, size_t max_depth,
                               const char *what, json_t **root, struct hh_error *err)
{
    json_error_t jerr;
    hh_status rc;

    *root = NULL;
    if (len > max_bytes)
        return hh_error_set(err, HH_ERR_TOO_LARGE, "%s of %zu bytes exceeds %zu", what, len,
                            max_bytes);
    rc = check_depth(json, len, max_depth, what, err);
    if (rc != HH_OK)
        return rc;
    *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*root == NULL)
        return hh_error_set(err, HH_ERR_INVALID, "%s JSON, line %d column %d: %s", what, jerr.line,
                            jerr.column, jerr.text);
    if (!json_is_object(*root)) {
        json_decref(*root);
        *root = NULL;
        return hh_error_set(err, HH_ERR_INVALID, "%s is not a JSON object", what);
    }
    return HH_OK;
}

const char *hh__json_string(const json_t *obj, const char *name, const char *what,
                            struct hh_error *err)
{
    const json_t *v = json_object_get(obj, name);

    if (v == NULL) {
        hh_error_set(err, HH_ERR_INVALID, "%s has no \"%s\"", what, name);
        return NULL;
    }
    if (!json_is_string(v)) {
        hh_error_set(err, HH_ERR_INVALID, "%s \"%s\" is not a string", what, name);
        return NULL;
    }
    return json_string_value(v);
}
