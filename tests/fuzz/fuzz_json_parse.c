/* Fuzz target: common/json_parse, differentially. Its header promises that ls_json_parse
 * accepts exactly what jansson's json_loadb(data, len, 0) accepts and returns an equal tree;
 * any input where the two disagree (one parses, the other does not, or the trees differ)
 * aborts with both answers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/json_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_json_parse_error e;
    json_error_t je;
    json_t *ours = ls_json_parse((const char *)data, size, &e);
    /* jansson accepts a NUL byte where it ends a number ("[1\0]"); RFC 8259 does not, nor do
     * we: with a NUL, ours must refuse and jansson is not asked */
    json_t *theirs = memchr(data, 0, size) ? NULL : json_loadb((const char *)data, size, 0, &je);
    if ((ours == NULL) != (theirs == NULL) || (ours && !json_equal(ours, theirs))) {
        fprintf(stderr, "ls_json_parse: %s (at %zu)\njson_loadb: %s (at %d)\n",
                ours ? "parsed" : e.text, e.position, theirs ? "parsed" : je.text, je.position);
        abort();
    }
    if (ours == NULL && e.text[0] == '\0') { /* a refusal always says why */
        fprintf(stderr, "ls_json_parse failed without a message\n");
        abort();
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
