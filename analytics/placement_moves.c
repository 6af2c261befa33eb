/* Moves (POST /v1/placement/moves): which servers to take off red, overloaded or hot hosts and
 * where to, as many as the pacing controller allows this step. Sources in order: red hosts,
 * then overloaded ones (load >= LS_PLACE_OVERLOAD), then, while the spread of load is above the
 * controller's target, hosts above mean + one standard deviation; hottest first. A source's
 * biggest servers (flavor vcpus) go first; each destination is the best recommendation for the
 * server's flavor that is in scope, not a source and not already a destination here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/placement_impl.h"

#define MAX_SERVERS_PER_HOST 512

int ls_place_moves_parse(json_t *body, struct ls_place_moves_request *out, struct ls_err *err)
{
    memset(out, 0, sizeof(*out));
    out->limit = 10;
    if (!json_is_object(body))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "body: expected an object");
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (strcmp(k, "hosts") != 0 && strcmp(k, "limit") != 0)
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%.64s: unknown field", k);
    }
    json_t *lim = json_object_get(body, "limit");
    if (lim) {
        if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
            json_integer_value(lim) > LS_PLACE_MAX_MOVES)
            return ls_err_set(err, LS_EINVAL, "invalid_request", "limit: expected 1 .. %d",
                              LS_PLACE_MAX_MOVES);
        out->limit = (size_t)json_integer_value(lim);
    }
    json_t *hosts = json_object_get(body, "hosts");
    if (hosts) {
        if (!json_is_array(hosts))
            return ls_err_set(err, LS_EINVAL, "invalid_request", "hosts: expected an array");
        if (json_array_size(hosts) > LS_PLACE_MAX_MOVE_HOSTS)
            return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "hosts: more than %d",
                              LS_PLACE_MAX_MOVE_HOSTS);
        out->hosts = ls_xcalloc(json_array_size(hosts) + 1, sizeof(*out->hosts));
        size_t i;
        json_array_foreach(hosts, i, v)
        {
            if (!json_is_string(v) || !json_string_length(v) ||
                json_string_length(v) > LS_PLACE_MAX_STR) {
                free(out->hosts);
                out->hosts = NULL;
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "hosts: expected host names (non-empty strings)");
            }
            out->hosts[out->n_hosts++] = json_string_value(v);
        }
    }
    return LS_OK;
}

/* Per host of the table: in scope, its load and colour, why it is a source (or NULL). */
struct hstate {
    bool scope, used_as_dest;
    double load;
    int colour;
    const char *why; /* "red", "overloaded", "hot" */
    char reason[96];
};

struct src {
    size_t host;
    int tier; /* 0 red, 1 overloaded, 2 hot */
    double load;
};

static int by_tier(const void *a, const void *b)
{
    const struct src *x = a, *y = b;
    if (x->tier != y->tier)
        return x->tier - y->tier;
    if (x->load != y->load)
        return x->load > y->load ? -1 : 1;
    return x->host < y->host ? -1 : x->host > y->host;
}

static double vcpus_of(const struct ls_node *n)
{
    return json_number_value(json_object_get(json_object_get(n->attrs, "flavor"), "vcpus"));
}

static int by_vcpus(const void *a, const void *b)
{
    double x = vcpus_of(*(const struct ls_node *const *)a);
    double y = vcpus_of(*(const struct ls_node *const *)b);
    return x > y ? -1 : x < y;
}

/* The native id of a server node ("nova:instance:<uuid>" -> uuid). */
static const char *native(const char *id)
{
    const char *c = strrchr(id, ':');
    return c ? c + 1 : id;
}

/* Plans one move of server off source src: the best destination, or NULL. */
static json_t *plan(struct ls_place_table *t,
                    const struct ls_place_live *live,
                    struct hstate *hs,
                    size_t src,
                    const struct ls_node *server)
{
    json_t *f = json_object_get(server->attrs, "flavor");
    if (!json_is_object(f))
        return NULL;
    json_t *body = json_pack("{s:O,s:s,s:[s]}", "flavor", f, "affinity", "different_host", "group",
                             server->id);
    struct ls_place_request *r = ls_xmalloc(sizeof(*r));
    struct ls_place_verdict *v = NULL;
    size_t n = 0;
    json_t *exc = NULL, *move = NULL;
    struct ls_err err;
    if (ls_place_request_parse(body, t, r, &err) == LS_OK &&
        ls_place_rank(t, r, live, &v, &n, &exc, &err) == LS_OK) {
        for (size_t k = 0; k < n; k++) {
            size_t d = v[k].host;
            if (!hs[d].scope || hs[d].why || hs[d].used_as_dest)
                continue;
            hs[d].used_as_dest = true;
            json_t *reasons = json_array();
            json_array_append_new(reasons, json_sprintf("from: %s", hs[src].reason));
            json_array_append_new(reasons, json_sprintf("to: score %.2f", v[k].score));
            for (size_t j = 0; j < v[k].n_reasons; j++)
                json_array_append_new(reasons, json_sprintf("to: %s", v[k].text[j]));
            move =
                json_pack("{s:s,s:s,s:s,s:s,s:o}", "server", native(server->id), "node", server->id,
                          "from", t->hosts[src].name, "to", t->hosts[d].name, "reasons", reasons);
            break;
        }
    }
    json_decref(exc);
    free(v);
    free(r);
    json_decref(body);
    return move;
}

int ls_placement_moves(struct ls_placement *p,
                       struct ls_place_table *t,
                       const struct ls_place_live *live,
                       const struct ls_place_moves_request *r,
                       json_t **out,
                       struct ls_err *err)
{
    (void)err;
    struct hstate *hs = ls_xcalloc(t->n + 1, sizeof(*hs));
    json_t *unknown = json_array();
    for (size_t i = 0; i < r->n_hosts; i++) {
        long h = place_host_index(t, r->hosts[i]);
        if (h < 0)
            json_array_append_new(unknown, json_string(r->hosts[i]));
        else
            hs[h].scope = true;
    }
    /* the measure: spread of known loads in scope, plus the servers on red hosts */
    double sum = 0, sq = 0;
    size_t known = 0, on_hot = 0;
    const struct ls_node **servers = ls_xmalloc(MAX_SERVERS_PER_HOST * sizeof(*servers));
    for (size_t i = 0; i < t->n; i++) {
        if (r->n_hosts == 0)
            hs[i].scope = true;
        if (!hs[i].scope)
            continue;
        const char *m, *nd;
        hs[i].load = place_host_load(&t->hosts[i], live, &m, &nd);
        hs[i].colour = place_host_colour(&t->hosts[i], live);
        if (hs[i].load >= 0) {
            sum += hs[i].load;
            sq += hs[i].load * hs[i].load;
            known++;
        }
        if (hs[i].colour == 3 || hs[i].load >= LS_PLACE_OVERLOAD)
            on_hot += place_servers_on(t, i, servers, MAX_SERVERS_PER_HOST);
    }
    double mean = known ? sum / (double)known : 0;
    double var = known ? sq / (double)known - mean * mean : 0;
    double spread = var > 0 ? sqrt(var) : 0;
    double measured = spread + LS_PLACE_HOT_WEIGHT * (double)on_hot;
    struct ls_pace after;
    int allowed = place_pace_step(p, measured, &after);
    size_t budget = (size_t)allowed < r->limit ? (size_t)allowed : r->limit;

    struct src *srcs = ls_xmalloc((t->n + 1) * sizeof(*srcs));
    size_t n_src = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct hstate *h = &hs[i];
        if (!h->scope)
            continue;
        int tier = -1;
        if (h->colour == 3) {
            tier = 0;
            h->why = "red";
            snprintf(h->reason, sizeof(h->reason), "colour red");
        } else if (h->load >= LS_PLACE_OVERLOAD) {
            tier = 1;
            h->why = "overloaded";
            snprintf(h->reason, sizeof(h->reason), "load %.2f >= %.2f (overloaded)", h->load,
                     LS_PLACE_OVERLOAD);
        } else if (h->load >= 0 && spread > after.p.target && h->load > mean + spread) {
            tier = 2;
            h->why = "hot";
            snprintf(h->reason, sizeof(h->reason), "load %.2f > mean %.2f + spread %.2f", h->load,
                     mean, spread);
        }
        if (tier >= 0)
            srcs[n_src++] = (struct src){i, tier, h->load};
    }
    qsort(srcs, n_src, sizeof(*srcs), by_tier);
    json_t *moves = json_array();
    for (size_t s = 0; s < n_src && json_array_size(moves) < budget; s++) {
        size_t ns = place_servers_on(t, srcs[s].host, servers, MAX_SERVERS_PER_HOST);
        qsort(servers, ns, sizeof(*servers), by_vcpus);
        for (size_t k = 0; k < ns && json_array_size(moves) < budget; k++) {
            json_t *mv = plan(t, live, hs, srcs[s].host, servers[k]);
            if (mv)
                json_array_append_new(moves, mv);
        }
    }
    *out = json_pack("{s:o,s:{s:i,s:f,s:f,s:f,s:f,s:i,s:i},s:o,s:I}", "moves", moves, "pace",
                     "allowed", allowed, "measured", measured, "target", after.p.target, "output",
                     after.output, "spread", spread, "servers_on_hot", (int)on_hot, "sources",
                     (int)n_src, "unknown_hosts", unknown, "revision", (json_int_t)t->revision);
    free(srcs);
    free(servers);
    free(hs);
    return LS_OK;
}
