/* libyaml document -> jansson value (see yaml_json.h). */
#include "common/yaml_json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct conv {
    yaml_document_t *doc;
    size_t values;
    struct ls_err *err;
};

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* A plain scalar's value: null, boolean, integer, real, else string. A number that does not
 * fit (an integer past int64, a real past double, -nan, +inf) is refused as jansson refuses it
 * in JSON: NULL with c->err set, never cast or silently turned into text. */
static json_t *plain_scalar(struct conv *c, const yaml_node_t *node, const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO", NULL};
    if (is_one_of(s, nulls))
        return json_null();
    if (is_one_of(s, trues))
        return json_true();
    if (is_one_of(s, falses))
        return json_false();
    /* Leading zeros (octal in YAML 1.1, serial numbers in practice) stay strings. */
    const char *digits = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9')
        return json_stringn(s, len);
    char *end;
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (len > 0 && *end == '\0' && end != s) {
        if (errno == 0)
            return json_integer(i);
        ls_err_set(c->err, LS_EINVAL, "invalid_yaml",
                   "line %zu: integer '%.40s' is out of range (quote it to keep it as text)",
                   node->start_mark.line + 1, s);
        return NULL;
    }
    errno = 0;
    double d = strtod(s, &end);
    if (len > 0 && *end == '\0' && strchr("+-.0123456789", s[0]) != NULL &&
        strpbrk(s, "xXpP") == NULL) {
        /* as jansson: overflow is refused, underflow (to 0 or a subnormal) is not */
        if (isfinite(d) && !(errno == ERANGE && fabs(d) == HUGE_VAL))
            return json_real(d);
        ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: '%.40s' is not a finite number",
                   node->start_mark.line + 1, s);
        return NULL;
    }
    return json_stringn(s, len);
}

/* A scalar's text: libyaml lets a double-quoted "\0" through; the JSON side refuses \u0000
 * (jansson), and everything downstream reads C strings, so it is refused here too. */
static bool scalar_ok(struct conv *c, const yaml_node_t *node)
{
    if (memchr(node->data.scalar.value, '\0', node->data.scalar.length) == NULL)
        return true;
    ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: a string holds a NUL character",
               node->start_mark.line + 1);
    return false;
}

static json_t *convert(struct conv *c, yaml_node_t *node, int depth, bool seq_item);

static json_t *convert_mapping(struct conv *c, yaml_node_t *node, int depth, bool seq_item)
{
    json_t *obj = json_object();
    if (obj == NULL)
        ls_json_oom();
    if (seq_item)
        json_object_set_new(obj, LS_YAML_LINE_KEY,
                            json_integer((json_int_t)node->start_mark.line + 1));
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE) {
            json_decref(obj);
            ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: mapping keys must be scalars",
                       node->start_mark.line + 1);
            return NULL;
        }
        const char *key = (const char *)k->data.scalar.value;
        if (!scalar_ok(c, k)) {
            json_decref(obj);
            return NULL;
        }
        /* YAML keys are unique (the spec; JSON bodies are read with JSON_REJECT_DUPLICATES) */
        if (json_object_get(obj, key) != NULL) {
            json_decref(obj);
            ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: key '%.64s' given twice",
                       k->start_mark.line + 1, key);
            return NULL;
        }
        json_t *v = convert(c, yaml_document_get_node(c->doc, p->value), depth + 1, false);
        if (v == NULL) {
            json_decref(obj);
            return NULL;
        }
        if (json_object_set_new(obj, key, v) != 0) {
            json_decref(obj);
            ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: key is not UTF-8",
                       k->start_mark.line + 1);
            return NULL;
        }
    }
    return obj;
}

static json_t *convert(struct conv *c, yaml_node_t *node, int depth, bool seq_item)
{
    if (node == NULL)
        return json_null();
    if (depth > LS_YAML_MAX_DEPTH) {
        ls_err_set(c->err, LS_ELIMIT, "yaml_too_deep", "line %zu: nesting deeper than %d",
                   node->start_mark.line + 1, LS_YAML_MAX_DEPTH);
        return NULL;
    }
    if (++c->values > LS_YAML_MAX_VALUES) {
        ls_err_set(c->err, LS_ELIMIT, "yaml_too_large", "more than %d values (aliases count)",
                   LS_YAML_MAX_VALUES);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        size_t len = node->data.scalar.length;
        if (!scalar_ok(c, node))
            return NULL;
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            return plain_scalar(c, node, s, len); /* sets c->err when NULL */
        json_t *v = json_stringn(s, len);
        if (v == NULL)
            ls_err_set(c->err, LS_EINVAL, "invalid_yaml", "line %zu: string is not UTF-8",
                       node->start_mark.line + 1);
        return v;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        if (arr == NULL)
            ls_json_oom();
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            json_t *v = convert(c, yaml_document_get_node(c->doc, *it), depth + 1, true);
            if (v == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    case YAML_MAPPING_NODE:
        return convert_mapping(c, node, depth, seq_item);
    default:
        return json_null();
    }
}

int ls_yaml_to_json(json_t **out, const char *text, size_t len, struct ls_err *err)
{
    *out = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        ls_oom(sizeof(parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc =
            ls_err_set(err, LS_EINVAL, "invalid_yaml", "line %zu: %s", parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "cannot parse");
        yaml_parser_delete(&parser);
        return rc;
    }
    struct conv c = {&doc, 0, err};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    json_t *v = root ? convert(&c, root, 0, false) : json_null();
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (v == NULL)
        return err ? err->status : LS_EINVAL;
    *out = v;
    return LS_OK;
}
