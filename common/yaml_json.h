/* YAML (libyaml) -> jansson, for the bulk gear files. Plain scalars become null, booleans,
 * integers or reals when they read as such (YAML 1.1 core forms: ~, null, true/false,
 * yes/no, decimal numbers); quoted scalars stay strings. Every mapping that is an item of a
 * sequence gets a "__line" member with its 1-based source line, so validation can name it.
 * Bounded: nesting depth and total values, so anchors/aliases cannot blow up. Reentrant. */
#ifndef LS_COMMON_YAML_JSON_H
#define LS_COMMON_YAML_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "common/err.h"

#define LS_YAML_MAX_DEPTH  32
#define LS_YAML_MAX_VALUES 1000000

/** The member name carrying an item's source line. */
#define LS_YAML_LINE_KEY "__line"

/**
 * Parses one YAML document.
 * @param[out] out new reference (an empty document gives null)
 * @return LS_OK; LS_EINVAL (code "invalid_yaml", "line N: <problem>"); LS_ELIMIT (depth or
 *         value count over the bounds above).
 */
LS_MUST_CHECK int ls_yaml_to_json(json_t **out, const char *text, size_t len, struct ls_err *err);

#endif
