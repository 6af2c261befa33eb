/* The elim's line from a recommendations answer (elim.h). */
#include "importers/client/elim.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

/* host equals name, or host's short name equals name's short name */
static bool same_host(const char *host, const char *name)
{
    if (!strcmp(host, name))
        return true;
    size_t a = strcspn(host, "."), b = strcspn(name, ".");
    return a == b && a > 0 && !strncmp(host, name, a);
}

int ls_elim_line(
    const char *answer, size_t len, const char *host, struct ls_buf *out, struct ls_err *err)
{
    json_error_t je;
    json_t *a = json_loadb(answer, len, 0, &je);
    json_t *hosts = json_object_get(a, "hosts");
    if (!json_is_array(hosts)) {
        json_decref(a);
        return ls_err_set(err, LS_EINVAL, "bad_answer", "not a recommendations answer");
    }
    long rank = LS_ELIM_UNRANKED;
    double score = 0;
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h)
    {
        const char *name = json_string_value(json_object_get(h, "host"));
        if (name && same_host(host, name)) {
            rank = (long)i + 1;
            score = json_number_value(json_object_get(h, "score"));
            break;
        }
    }
    json_decref(a);
    return ls_buf_printf(out, "2 rank %ld lscore %.2f\n", rank, score);
}
