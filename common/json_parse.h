/* A JSON parser that builds jansson values in one pass over the bytes, for large documents (a
 * page of an OpenStack list is a megabyte): jansson's own parser reads its input one character
 * at a time through a stream and a token buffer; this one scans strings and numbers in place
 * and hands each value to jansson's constructors, so the values are ordinary jansson values
 * (made through jansson's allocation functions: a json_arena region applies).
 *
 * Contract: it accepts exactly what json_loadb(data, len, 0, ..) accepts and returns an equal
 * tree: an object or an array at the top with nothing but white space after it (RFC 8259),
 * strings of valid UTF-8 without control characters or \u0000, \u escapes with their
 * surrogate pairs, integers that fit json_int_t (others are an error), reals that do not
 * overflow a double, nesting to JSON_PARSER_MAX_DEPTH; a key given twice keeps its last value.
 * The input need not be NUL-terminated. One known difference, found by tests/fuzz/json_parse:
 * jansson accepts a NUL byte that ends a number token ("[1\0]"); this parser refuses any NUL
 * outside a string, as RFC 8259 does. */
#ifndef LS_COMMON_JSON_PARSE_H
#define LS_COMMON_JSON_PARSE_H

#include <stddef.h>

#include <jansson.h>

struct ls_json_parse_error {
    char text[128];  /* what is wrong, e.g. "premature end of input" */
    size_t position; /* byte offset where it was found */
};

/**
 * The value data[0..len) holds (new reference), or NULL with *e filled (e may be NULL).
 */
json_t *ls_json_parse(const char *data, size_t len, struct ls_json_parse_error *e);

#endif
