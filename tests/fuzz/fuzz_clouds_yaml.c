/* libFuzzer target: clouds.yaml + secure.yaml -> one cloud (ls_os_cloud_parse, as
 * `landscaped --os-cloud NAME` loads it), then its one-line description. The input: the cloud's
 * name, a newline, clouds.yaml, and optionally a NUL byte followed by secure.yaml. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "importers/openstack/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Both files are C strings to the parser (as read from disk): the text up to the NUL. */
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *clouds = strchr(text, '\n');
    if (clouds == NULL) {
        free(text);
        return 0;
    }
    *clouds++ = '\0';
    size_t clen = strlen(clouds);
    const char *secure = clouds + clen < text + size ? clouds + clen + 1 : NULL;
    struct ls_os_cloud *c = NULL;
    struct ls_err err;
    if (strcmp(text, "envvars") != 0 && /* the environment is not the input */
        ls_os_cloud_parse(&c, text, clouds, secure, "clouds.yaml", &err) == LS_OK) {
        char desc[1024];
        ls_os_cloud_describe(c, desc, sizeof(desc));
    }
    ls_os_cloud_free(c);
    free(text);
    return 0;
}
