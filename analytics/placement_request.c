/* POST /v1/placement/recommendations bodies -> struct ls_place_request, every field checked
 * against its bound. Flavors turn into Placement resource amounts as Nova's scheduler asks for
 * them: VCPU = vcpus, MEMORY_MB = ram_mb, DISK_GB = disk_gb + ephemeral_gb + swap (in GB,
 * rounded up), then the flavor's `resources:<RC>` extra specs override (0 drops a class). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/placement_impl.h"

#define MAX_AMOUNT ((int64_t)1 << 50)

static int bad(struct ls_err *err, const char *field, const char *what)
{
    return ls_err_set(err, LS_EINVAL, "invalid_request", "%s: %s", field, what);
}

static int only(json_t *o, const char *const *allowed, const char *where, struct ls_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0)
            i++;
        if (!allowed[i])
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%s%s: unknown field", where,
                              strlen(k) > 64 ? "(a long name)" : k);
    }
    return LS_OK;
}

/* A string field: NULL when absent; bounded, non-empty. */
static int str_field(json_t *o, const char *key, const char **out, struct ls_err *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v)
        return LS_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(err, key, "expected a non-empty string");
    if (json_string_length(v) > LS_PLACE_MAX_STR)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "%s: longer than %d bytes", key,
                          LS_PLACE_MAX_STR);
    *out = json_string_value(v);
    return LS_OK;
}

/* A non-negative integer (a JSON integer, or a decimal string as extra specs hold them). */
static int amount_of(json_t *v, const char *field, int64_t *out, struct ls_err *err)
{
    long long x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        if (!*s || json_string_length(v) > 20)
            return bad(err, field, "expected a non-negative integer");
        x = strtoll(s, &end, 10);
        if (*end)
            return bad(err, field, "expected a non-negative integer");
    } else {
        return bad(err, field, "expected a non-negative integer");
    }
    if (x < 0 || x > MAX_AMOUNT)
        return bad(err, field, "out of range (0 .. 2^50)");
    *out = x;
    return LS_OK;
}

static bool rc_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= LS_PLACE_RC_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Sets class rc to amount (0 removes it). */
static int
set_amount(struct ls_place_request *r, const char *rc, int64_t amount, struct ls_err *err)
{
    size_t i = 0;
    while (i < r->n_res && strcmp(r->res[i].rc, rc) != 0)
        i++;
    if (amount == 0) {
        if (i < r->n_res)
            r->res[i] = r->res[--r->n_res];
        return LS_OK;
    }
    if (i == r->n_res) {
        if (r->n_res == LS_PLACE_MAX_RC)
            return ls_err_set(err, LS_ELIMIT, "limit_exceeded",
                              "flavor: more than %d resource classes", LS_PLACE_MAX_RC);
        snprintf(r->res[r->n_res++].rc, LS_PLACE_RC_NAME, "%s", rc);
    }
    r->res[i].amount = amount;
    return LS_OK;
}

static int
add_trait(const char **arr, size_t *n, const char *t, const char *field, struct ls_err *err)
{
    if (*n == LS_PLACE_MAX_TRAITS)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "%s: more than %d traits", field,
                          LS_PLACE_MAX_TRAITS);
    if (!*t || strlen(t) > LS_PLACE_MAX_STR)
        return bad(err, field, "a trait is empty or too long");
    arr[(*n)++] = t;
    return LS_OK;
}

static int extra_specs(json_t *specs, struct ls_place_request *r, struct ls_err *err)
{
    if (!json_is_object(specs))
        return bad(err, "flavor.extra_specs", "expected an object");
    if (json_object_size(specs) > LS_PLACE_MAX_SPECS)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "flavor.extra_specs: more than %d keys",
                          LS_PLACE_MAX_SPECS);
    const char *k;
    json_t *v;
    json_object_foreach(specs, k, v)
    {
        if (!json_is_string(v) && !json_is_integer(v))
            return bad(err, "flavor.extra_specs", "values must be strings");
        const char *s = json_string_value(v);
        if (!strncmp(k, "resources:", 10)) {
            int64_t a;
            if (!rc_name_ok(k + 10))
                return bad(err, "flavor.extra_specs", "resources: needs a resource class name");
            if (amount_of(v, "flavor.extra_specs resources", &a, err) ||
                set_amount(r, k + 10, a, err))
                return err->status;
        } else if (!strncmp(k, "trait:", 6) && s) {
            if (!strcmp(s, "required")) {
                if (add_trait(r->required, &r->n_required, k + 6, "flavor.extra_specs", err))
                    return err->status;
            } else if (!strcmp(s, "forbidden")) {
                if (add_trait(r->forbidden, &r->n_forbidden, k + 6, "flavor.extra_specs", err))
                    return err->status;
            } else {
                return bad(err, "flavor.extra_specs", "trait: value is required or forbidden");
            }
        } else if (!strcmp(k, "hw:numa_nodes")) {
            int64_t a;
            if (amount_of(v, "flavor.extra_specs hw:numa_nodes", &a, err))
                return err->status;
            if (a < 1 || a > LS_PLACE_MAX_NUMA)
                return bad(err, "flavor.extra_specs hw:numa_nodes", "expected 1 .. 8");
            r->numa_nodes = (int)a;
        }
        /* other specs (hw:cpu_policy, quota:..., aggregate_instance_extra_specs:...) are not
         * placement's business here: ignored, as Placement ignores them */
    }
    return LS_OK;
}

/* A flavor object (given, or found by name) -> resource amounts and specs. */
static int flavor(json_t *f, bool given, struct ls_place_request *r, struct ls_err *err)
{
    static const char *const keys[] = {
        "vcpus", "ram_mb", "disk_gb", "ephemeral_gb", "swap_mb", "extra_specs", "name", "id", NULL};
    if (given && only(f, keys, "flavor.", err))
        return err->status;
    static const char *const cls[][3] = {{"vcpus", "VCPU", "flavor.vcpus"},
                                         {"ram_mb", "MEMORY_MB", "flavor.ram_mb"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(f, cls[i][0]);
        int64_t a = 0;
        if (!v && given)
            return ls_err_set(err, LS_EINVAL, "invalid_request", "flavor.%s: required", cls[i][0]);
        if (v && (amount_of(v, cls[i][2], &a, err) || set_amount(r, cls[i][1], a, err)))
            return err->status;
    }
    int64_t disk = 0, eph = 0, swap = 0;
    json_t *d = json_object_get(f, "disk_gb"), *e = json_object_get(f, "ephemeral_gb"),
           *s = json_object_get(f, "swap_mb");
    if ((d && amount_of(d, "flavor.disk_gb", &disk, err)) ||
        (e && amount_of(e, "flavor.ephemeral_gb", &eph, err)) ||
        (s && amount_of(s, "flavor.swap_mb", &swap, err)))
        return err->status;
    if (set_amount(r, "DISK_GB", disk + eph + (swap + 1023) / 1024, err))
        return err->status;
    json_t *specs = json_object_get(f, "extra_specs");
    if (specs && !json_is_null(specs) && extra_specs(specs, r, err))
        return err->status;
    return LS_OK;
}

static int traits(json_t *t, struct ls_place_request *r, struct ls_err *err)
{
    static const char *const keys[] = {"required", "forbidden", NULL};
    if (!json_is_object(t))
        return bad(err, "traits", "expected an object");
    if (only(t, keys, "traits.", err))
        return err->status;
    for (int k = 0; k < 2; k++) {
        json_t *arr = json_object_get(t, keys[k]);
        size_t i;
        json_t *v;
        if (!arr)
            continue;
        if (!json_is_array(arr))
            return bad(err, k ? "traits.forbidden" : "traits.required", "expected an array");
        json_array_foreach(arr, i, v)
        {
            if (!json_is_string(v))
                return bad(err, k ? "traits.forbidden" : "traits.required", "expected trait names");
            if (add_trait(k ? r->forbidden : r->required, k ? &r->n_forbidden : &r->n_required,
                          json_string_value(v), k ? "traits.forbidden" : "traits.required", err))
                return err->status;
        }
    }
    return LS_OK;
}

static const char *const affinity_names[] = {NULL, "same_host", "different_host", "same_rack",
                                             "different_rack"};

int ls_place_request_parse(json_t *body,
                           struct ls_place_table *t,
                           struct ls_place_request *out,
                           struct ls_err *err)
{
    static const char *const keys[] = {
        "flavor",    "flavor_name", "count", "traits", "availability_zone",
        "aggregate", "affinity",    "group", NULL};
    memset(out, 0, sizeof(*out));
    if (!json_is_object(body))
        return bad(err, "body", "expected an object");
    if (only(body, keys, "", err))
        return err->status;
    json_t *f = json_object_get(body, "flavor");
    const char *fname = NULL;
    if (str_field(body, "flavor_name", &fname, err))
        return err->status;
    if (f && fname)
        return bad(err, "flavor", "give flavor or flavor_name, not both");
    if (f) {
        if (!json_is_object(f))
            return bad(err, "flavor", "expected an object");
        if (flavor(f, true, out, err))
            return err->status;
    } else if (fname) {
        json_t *known = t ? place_flavor(t, fname) : NULL;
        if (!known)
            return ls_err_set(err, LS_ENOTFOUND, "flavor_not_found",
                              "flavor_name: no imported server has flavor %.64s", fname);
        out->flavor_name = fname;
        if (flavor(known, false, out, err))
            return err->status;
    }
    json_t *c = json_object_get(body, "count");
    if (c) {
        int64_t n;
        if (amount_of(c, "count", &n, err))
            return err->status;
        if (!json_is_integer(c) || n < 1 || n > 100000)
            return bad(err, "count", "expected an integer 1 .. 100000");
        out->count = (size_t)n;
    }
    json_t *tr = json_object_get(body, "traits");
    if (tr && traits(tr, out, err))
        return err->status;
    if (str_field(body, "availability_zone", &out->availability_zone, err) ||
        str_field(body, "aggregate", &out->aggregate, err))
        return err->status;
    const char *aff = NULL;
    if (str_field(body, "affinity", &aff, err))
        return err->status;
    if (aff) {
        int k = 1;
        while (k <= LS_PLACE_DIFFERENT_RACK && strcmp(affinity_names[k], aff) != 0)
            k++;
        if (k > LS_PLACE_DIFFERENT_RACK)
            return bad(err, "affinity",
                       "expected same_host, different_host, same_rack or different_rack");
        out->affinity = (enum ls_place_affinity)k;
    }
    json_t *g = json_object_get(body, "group");
    if (g) {
        size_t i;
        json_t *v;
        if (!json_is_array(g))
            return bad(err, "group", "expected an array of server ids");
        if (json_array_size(g) > LS_PLACE_MAX_GROUP)
            return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "group: more than %d servers",
                              LS_PLACE_MAX_GROUP);
        json_array_foreach(g, i, v)
        {
            if (!json_is_string(v) || !json_string_length(v) ||
                json_string_length(v) > LS_PLACE_MAX_STR)
                return bad(err, "group", "expected server ids (non-empty strings)");
            out->group[out->n_group++] = json_string_value(v);
        }
    }
    if (out->affinity == LS_PLACE_AFF_NONE && out->n_group)
        return bad(err, "group", "needs an affinity");
    return LS_OK;
}

const char *place_affinity_name(enum ls_place_affinity a)
{
    return a > LS_PLACE_AFF_NONE && a <= LS_PLACE_DIFFERENT_RACK ? affinity_names[a] : "none";
}
