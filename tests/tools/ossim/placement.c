/* ossim: Placement — one resource provider per hypervisor (same UUID), with inventories,
 * usages (sums of the flavors of the servers on it), traits and aggregates. Like the real
 * service, the provider list is not paged. */
#include <stdio.h>
#include <string.h>

#include "tests/tools/ossim/ossim_int.h"

static void not_found(struct req *r, const char *what)
{
    r->status = 404;
    r->out.n = 0;
    jb_raw(&r->out, "{\"errors\":[{\"status\":404,\"title\":\"Not Found\",\"detail\":");
    jb_str(&r->out, what);
    jb_raw(&r->out, ",\"code\":\"placement.undefined_code\"}]}");
}

static void provider(struct req *r, int i)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    char id[37];
    id_str(K_HV, i, id);
    jb_sep(b);
    jb_printf(b, "{\"uuid\":\"%s\",\"name\":\"%s\",\"generation\":%d", id, cloud_hv_name(c, i),
              c->hv[i].generation);
    if (r->mv >= 1014)
        jb_printf(b, ",\"parent_provider_uuid\":null,\"root_provider_uuid\":\"%s\"", id);
    jb_printf(b,
              ",\"links\":[{\"rel\":\"self\",\"href\":\"/placement/resource_providers/%s\"},"
              "{\"rel\":\"inventories\",\"href\":\"/placement/resource_providers/%s/"
              "inventories\"},{\"rel\":\"usages\",\"href\":\"/placement/resource_providers/%s/"
              "usages\"}",
              id, id, id);
    if (r->mv >= 1001)
        jb_printf(b,
                  ",{\"rel\":\"aggregates\",\"href\":\"/placement/resource_providers/%s/"
                  "aggregates\"}",
                  id);
    if (r->mv >= 1006)
        jb_printf(b, ",{\"rel\":\"traits\",\"href\":\"/placement/resource_providers/%s/traits\"}",
                  id);
    if (r->mv >= 1011)
        jb_printf(b,
                  ",{\"rel\":\"allocations\",\"href\":\"/placement/resource_providers/%s/"
                  "allocations\"}",
                  id);
    jb_raw(b, "]}");
}

static void inventory(struct jb *b, const char *rc, int total, int reserved, const char *ratio)
{
    jb_sep(b);
    jb_printf(b,
              "\"%s\":{\"total\":%d,\"reserved\":%d,\"min_unit\":1,\"max_unit\":%d,"
              "\"step_size\":1,\"allocation_ratio\":%s}",
              rc, total, reserved, total, ratio);
}

static void provider_sub(struct req *r, int i, const char *what)
{
    const struct cloud *c = &r->s->c;
    const struct sim_hv *h = &c->hv[i];
    struct jb *b = &r->out;
    if (!strcmp(what, "inventories")) {
        jb_printf(b, "{\"resource_provider_generation\":%d,\"inventories\":{", h->generation);
        inventory(b, "VCPU", h->vcpus, h->vcpu_reserved, "4.0");
        inventory(b, "MEMORY_MB", h->mem_mb, 512, "1.0");
        inventory(b, "DISK_GB", h->disk_gb, 0, "1.0");
        jb_raw(b, "}}");
    } else if (!strcmp(what, "usages")) {
        jb_printf(b,
                  "{\"resource_provider_generation\":%d,\"usages\":{\"VCPU\":%d,"
                  "\"MEMORY_MB\":%d,\"DISK_GB\":%d}}",
                  h->generation, h->used_vcpus, h->used_mem, h->used_disk);
    } else if (!strcmp(what, "traits") && r->mv >= 1006) {
        jb_printf(b,
                  "{\"resource_provider_generation\":%d,\"traits\":[\"COMPUTE_IMAGE_TYPE_QCOW2\","
                  "\"COMPUTE_NET_ATTACH_INTERFACE\",\"COMPUTE_VOLUME_ATTACH_WITH_TAG\","
                  "\"HW_CPU_X86_AVX2\",\"HW_CPU_X86_SSE42\"%s]}",
                  h->generation, i % 2 ? ",\"HW_CPU_X86_AVX512F\"" : "");
    } else if (!strcmp(what, "aggregates") && r->mv >= 1001) {
        jb_raw(b, "{");
        if (r->mv >= 1019)
            jb_printf(b, "\"resource_provider_generation\":%d,", h->generation);
        jb_raw(b, "\"aggregates\":[");
        if (c->o.aggregates > 0)
            jb_id(b, K_AGG, i % c->o.aggregates);
        jb_raw(b, "]}");
    } else {
        not_found(r, "The resource could not be found.");
    }
}

void placement_handle(struct req *r)
{
    const struct cloud *c = &r->s->c;
    if (strcmp(r->method, "GET") != 0 || strcmp(r->seg[0], "resource_providers") != 0 ||
        r->nseg > 3) {
        not_found(r, "The resource could not be found.");
        return;
    }
    if (r->nseg == 1) {
        const char *name = req_arg(r, "name");
        jb_reserve(&r->out, (size_t)c->nhv * 700);
        jb_raw(&r->out, "{\"resource_providers\":[");
        for (int i = 0; i < c->nhv; i++) {
            if (name) {
                char hn[32];
                snprintf(hn, sizeof(hn), "%s", cloud_hv_name(c, i));
                if (strcmp(hn, name) != 0)
                    continue;
            }
            provider(r, i);
        }
        jb_raw(&r->out, "]}");
        return;
    }
    int i = cloud_lookup(c, K_HV, r->seg[1]);
    if (i < 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "No resource provider with uuid %.40s found", r->seg[1]);
        not_found(r, msg);
        return;
    }
    if (r->nseg == 2)
        provider(r, i);
    else
        provider_sub(r, i, r->seg[2]);
}
