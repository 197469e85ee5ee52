/*
 * json_limits.h - loading untrusted JSON within limits (internal).
 *
 * The size and the nesting depth are checked on the raw bytes before jansson
 * sees them, so hostile input never reaches the recursive parser; duplicate
 * keys are refused, and the top level must be an object.
 */
#ifndef HH_LIB_JSON_LIMITS_H
#define HH_LIB_JSON_LIMITS_H

#include <jansson.h>
#include <stddef.h>

#include <henhouse/error.h>

/* Loads json[0..len) into *root (json_decref it). what names the input in errors. */
hh_status hh__json_load_object(const char *json, size_t len, size_t max_bytes, size_t max_depth,
                               const char *what, json_t **root, struct hh_error *err) HH_MUST_CHECK;

/* The string member name of obj, or NULL (with err set) when absent or not a string. */
const char *hh__json_string(const json_t *obj, const char *name, const char *what,
                            struct hh_error *err);

#endif
