/* kube-scheduler's extender protocol (k8s.io/kube-scheduler/extender/v1) over placement: the
 * Go structs have no json tags, so the keys are the Go field names (ExtenderArgs: Pod, Nodes,
 * NodeNames; ExtenderFilterResult: Nodes, NodeNames, FailedNodes, FailedAndUnresolvableNodes,
 * Error; HostPriority: Host, Score), while the Kubernetes objects inside (v1.Pod, v1.NodeList)
 * keep their own lower-case tags. A pod's requests (the sum over its containers) become a
 * flavor: VCPU = cpu rounded up to whole cores, MEMORY_MB = memory rounded up to MiB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/placement_impl.h"

/* A Kubernetes quantity ("500m", "2", "1.5", "512Mi", "1G", "1e3") in base units. */
static bool quantity(const char *s, double *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"Ki", 1024.0},
                 {"Mi", 1048576.0},
                 {"Gi", 1073741824.0},
                 {"Ti", 1099511627776.0},
                 {"Pi", 1125899906842624.0},
                 {"Ei", 1152921504606846976.0},
                 {"n", 1e-9},
                 {"u", 1e-6},
                 {"m", 1e-3},
                 {"k", 1e3},
                 {"M", 1e6},
                 {"G", 1e9},
                 {"T", 1e12},
                 {"P", 1e15},
                 {"E", 1e18}};
    if (!s || !*s || strlen(s) > 64)
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return false;
    if (*end == '\0') {
        *out = v;
        return true;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(end, units[i].suffix)) {
            *out = v * units[i].mult;
            return isfinite(*out);
        }
    return false;
}

/* The pod's summed requests -> a flavor body {"flavor": {...}} for ls_place_request_parse. */
static int pod_flavor(json_t *pod, json_t **out, struct ls_err *err)
{
    if (!json_is_object(pod))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "Pod: expected an object");
    json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
    if (containers && !json_is_array(containers))
        return ls_err_set(err, LS_EINVAL, "invalid_request",
                          "Pod.spec.containers: expected an array");
    double cpu = 0, mem = 0;
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
        static const char *const keys[] = {"cpu", "memory"};
        for (int k = 0; k < 2; k++) {
            json_t *q = json_object_get(req, keys[k]);
            double v = 0;
            if (!q)
                continue;
            if (json_is_number(q))
                v = json_number_value(q);
            else if (!quantity(json_string_value(q), &v))
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "Pod.spec.containers[%zu].resources.requests.%s: not a quantity",
                                  i, keys[k]);
            if (k == 0)
                cpu += v;
            else
                mem += v;
        }
    }
    double vcpus = ceil(cpu - 1e-9), mb = ceil(mem / 1048576.0 - 1e-9);
    if (vcpus > 1e9 || mb > 1e12)
        return ls_err_set(err, LS_EINVAL, "invalid_request", "Pod: requests out of range");
    *out =
        json_pack("{s:{s:I,s:I}}", "flavor", "vcpus", (json_int_t)vcpus, "ram_mb", (json_int_t)mb);
    return LS_OK;
}

/* The candidate nodes: NodeNames, or Nodes.items[].metadata.name. *by_object when Nodes. */
static int candidates(json_t *args, json_t **names, bool *by_object, struct ls_err *err)
{
    json_t *nn = json_object_get(args, "NodeNames"), *nodes = json_object_get(args, "Nodes");
    *names = json_array();
    *by_object = false;
    size_t i;
    json_t *v;
    if (nn && !json_is_null(nn)) {
        if (!json_is_array(nn))
            return ls_err_set(err, LS_EINVAL, "invalid_request", "NodeNames: expected an array");
        json_array_foreach(nn, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) > LS_PLACE_MAX_STR)
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "NodeNames: expected node names");
            json_array_append(*names, v);
        }
    } else if (nodes && !json_is_null(nodes)) {
        json_t *items = json_object_get(nodes, "items");
        if (!json_is_object(nodes) || (items && !json_is_array(items)))
            return ls_err_set(err, LS_EINVAL, "invalid_request", "Nodes: expected a NodeList");
        *by_object = true;
        json_array_foreach(items, i, v)
        {
            json_t *name = json_object_get(json_object_get(v, "metadata"), "name");
            if (!json_is_string(name) || json_string_length(name) > LS_PLACE_MAX_STR)
                return ls_err_set(err, LS_EINVAL, "invalid_request",
                                  "Nodes.items[%zu].metadata.name: expected a node name", i);
            json_array_append(*names, name);
        }
    } else {
        return ls_err_set(err, LS_EINVAL, "invalid_request", "neither Nodes nor NodeNames");
    }
    if (json_array_size(*names) > LS_PLACE_MAX_MOVE_HOSTS)
        return ls_err_set(err, LS_ELIMIT, "limit_exceeded", "more than %d nodes",
                          LS_PLACE_MAX_MOVE_HOSTS);
    return LS_OK;
}

/* Keys that preemption cannot change (another pod's eviction frees nothing Landscape counts). */
static bool unresolvable(const char *key)
{
    return strcmp(key, "red") != 0;
}

int ls_place_k8s(struct ls_place_table *t,
                 const struct ls_place_live *live,
                 json_t *args,
                 bool prioritize,
                 json_t **out,
                 struct ls_err *err)
{
    *out = NULL;
    if (!json_is_object(args))
        return ls_err_set(err, LS_EINVAL, "invalid_request", "expected ExtenderArgs");
    static const char *const keys[] = {"Pod", "Nodes", "NodeNames"};
    const char *k;
    json_t *v;
    json_object_foreach(args, k, v)
    {
        size_t i = 0;
        while (i < 3 && strcmp(keys[i], k) != 0)
            i++;
        if (i == 3)
            return ls_err_set(err, LS_EINVAL, "unknown_field", "%.64s: unknown field", k);
    }
    json_t *fl = NULL, *names = NULL;
    bool by_object;
    struct ls_place_request *r = ls_xmalloc(sizeof(*r));
    struct ls_place_verdict *vd = ls_xmalloc(sizeof(*vd));
    int rc = pod_flavor(json_object_get(args, "Pod"), &fl, err);
    rc = rc ? rc : candidates(args, &names, &by_object, err);
    rc = rc ? rc : ls_place_request_parse(fl, t, r, err);
    if (rc)
        goto out;
    json_t *pass = json_array(), *failed = json_object(), *unres = json_object();
    json_t *prio = json_array();
    size_t i;
    json_array_foreach(names, i, v)
    {
        const char *name = json_string_value(v);
        struct ls_err e;
        long score = 0;
        if (ls_place_judge(t, name, r, live, vd, &e) != LS_OK) {
            /* a node Landscape does not know: no opinion, it passes (score 0) */
            if (by_object)
                json_array_append(
                    pass,
                    json_array_get(json_object_get(json_object_get(args, "Nodes"), "items"), i));
            else
                json_array_append(pass, v);
        } else if (vd->fits) {
            score = lround(vd->score / 10.0); /* 0..100 -> MinExtenderPriority..Max (0..10) */
            if (by_object)
                json_array_append(
                    pass,
                    json_array_get(json_object_get(json_object_get(args, "Nodes"), "items"), i));
            else
                json_array_append(pass, v);
        } else {
            char msg[200];
            snprintf(msg, sizeof(msg), "landscape: %s (%s)", vd->excluded_by,
                     vd->n_reasons ? vd->text[vd->n_reasons - 1] : "");
            json_object_set_new(unresolvable(vd->excluded_by) ? unres : failed, name,
                                json_string(msg));
        }
        json_array_append_new(prio, json_pack("{s:s,s:I}", "Host", name, "Score",
                                              (json_int_t)(score < 0    ? 0
                                                           : score > 10 ? 10
                                                                        : score)));
    }
    if (prioritize) {
        *out = prio;
        json_decref(pass);
        json_decref(failed);
        json_decref(unres);
    } else {
        json_decref(prio);
        *out = json_pack("{s:o,s:o,s:o,s:o,s:s}", "Nodes",
                         by_object ? json_pack("{s:o}", "items", pass) : json_null(), "NodeNames",
                         by_object ? json_null() : pass, "FailedNodes", failed,
                         "FailedAndUnresolvableNodes", unres, "Error", "");
    }
out:
    json_decref(fl);
    json_decref(names);
    free(r);
    free(vd);
    return rc;
}
