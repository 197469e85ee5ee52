/*
 * status.h - a node's health as JSON: its own log (size, root, each
 * witness's last cosignature and its age, the last error talking to it),
 * every witnessed log (cosigned size, mirror size, frozen, last error), and
 * the evidence held. Served at /v1/status and printed by `henhouse status`.
 */
#ifndef HH_NODE_STATUS_H
#define HH_NODE_STATUS_H

#include <jansson.h>

#include "node.h"

/* A new JSON object (caller json_decref's it); NULL when out of memory. */
json_t *hh_node_status(struct hh_node *n);

#endif
