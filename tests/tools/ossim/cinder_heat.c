/* ossim: Cinder (volume v3) volumes with attachments, paged like the real API (created_at
 * desc, id desc; "volumes_links"), and Heat stacks with their resources (stack j: server j,
 * its first port, volume j and the attachment). */
#include <stdio.h>
#include <string.h>

#include "tests/tools/ossim/ossim_int.h"

/* ---- cinder ---- */

static void render_volume(struct req *r, int i)
{
    const struct cloud *c = &r->s->c;
    const struct sim_vol *v = &c->vol[i];
    struct jb *b = &r->out;
    char pid[37];
    id_str(K_PROJECT, v->project, pid);
    jb_sep(b);
    jb_raw(b, "{\"id\":");
    jb_id(b, K_VOL, i);
    jb_printf(b,
              ",\"name\":\"sim-vol-%d\",\"status\":\"%s\",\"size\":%d,"
              "\"volume_type\":\"lvmdriver-1\",\"availability_zone\":\"nova\","
              "\"os-vol-host-attr:host\":\"sim-cinder@lvm#pool%d\","
              "\"os-vol-tenant-attr:tenant_id\":\"%s\",\"user_id\":",
              i, v->server >= 0 ? "in-use" : "available", v->size, i % 4, pid);
    jb_id(b, K_USER, 0);
    jb_raw(b, ",\"created_at\":");
    jb_time(b, v->created, T_USEC);
    jb_raw(b, ",\"updated_at\":");
    jb_time(b, v->updated, T_USEC);
    jb_raw(b, ",\"attachments\":[");
    if (v->server >= 0) {
        jb_raw(b, "{\"id\":");
        jb_id(b, K_VOL, i);
        jb_raw(b, ",\"attachment_id\":");
        jb_id(b, K_ATT, i);
        jb_raw(b, ",\"volume_id\":");
        jb_id(b, K_VOL, i);
        jb_raw(b, ",\"server_id\":");
        jb_id(b, K_SERVER, v->server);
        jb_printf(b, ",\"host_name\":\"%s\",\"device\":\"/dev/vdb\",\"attached_at\":",
                  cloud_hv_name(c, c->sv[v->server].hv));
        jb_time(b, v->attached_at, T_USEC);
        jb_raw(b, "}");
    }
    jb_raw(b, "],\"bootable\":\"false\",\"multiattach\":false,\"encrypted\":false,"
              "\"description\":null,\"snapshot_id\":null,\"source_volid\":null,"
              "\"metadata\":{},\"replication_status\":null,\"consistencygroup_id\":null,"
              "\"os-vol-mig-status-attr:migstat\":null,\"os-vol-mig-status-attr:name_id\":null}");
}

static void volumes(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    int limit;
    const char *marker;
    if (!req_paging(r, &limit, &marker))
        return;
    int64_t since = 0;
    const char *upd = req_arg(r, "updated_at");
    if (upd) {
        if (strncmp(upd, "gte:", 4) != 0 || !parse_time(upd + 4, &since)) {
            req_error(r, 400, "Invalid filter: updated_at (expected gte:TIME)");
            return;
        }
    }
    int only_project = req_flag(r, "all_tenants") || r->project < 0 ? -1 : r->project;
    int pos = 0;
    if (marker) {
        pos = req_marker_pos(r, K_VOL, &c->vol_order, marker, "Marker ", " could not be found.");
        if (pos < 0)
            return;
    }
    jb_reserve(b, (size_t)limit * 1000);
    jb_raw(b, "{\"volumes\":[");
    int n = 0, last = -1;
    bool more = false;
    for (; pos < c->vol_order.n; pos++) {
        int i = c->vol_order.v[pos];
        if (upd && c->vol[i].updated < since)
            continue;
        if (only_project >= 0 && c->vol[i].project != only_project)
            continue;
        if (n == limit) {
            more = true;
            break;
        }
        render_volume(r, i);
        last = i;
        n++;
    }
    jb_raw(b, "]");
    if (more) {
        char id[37];
        id_str(K_VOL, last, id);
        req_next_link(r, "volumes", id);
    }
    jb_raw(b, "}");
}

void cinder_handle(struct req *r)
{
    bool get = !strcmp(r->method, "GET");
    if (get && r->nseg == 2 && !strcmp(r->seg[0], "volumes") && !strcmp(r->seg[1], "detail")) {
        volumes(r);
    } else if (get && r->nseg == 2 && !strcmp(r->seg[0], "volumes")) {
        int i = cloud_lookup(&r->s->c, K_VOL, r->seg[1]);
        if (i < 0) {
            req_error(r, 404, "Volume could not be found.");
            return;
        }
        jb_raw(&r->out, "{\"volume\":");
        render_volume(r, i);
        jb_raw(&r->out, "}");
    } else {
        req_error(r, 404, "The resource could not be found.");
    }
}

/* ---- heat ---- */

static void stack_href(struct req *r, int j)
{
    const struct cloud *c = &r->s->c;
    char pid[37], sid[37];
    id_str(K_PROJECT, c->sv[j].project, pid);
    id_str(K_STACK, j, sid);
    jb_printf(&r->out, "%s/heat/v1/%s/stacks/sim-stack-%d/%s", r->s->base, pid, j, sid);
}

static void stacks(struct req *r)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    bool global = req_flag(r, "global_tenant");
    jb_raw(b, "{\"stacks\":[");
    for (int j = 0; j < c->nstack; j++) {
        int project = c->sv[j].project;
        if ((!global && r->project >= 0 && project != r->project) ||
            (j < 64 && (c->stacks_deleted >> j & 1)))
            continue;
        jb_sep(b);
        jb_raw(b, "{\"id\":");
        jb_id(b, K_STACK, j);
        jb_printf(b,
                  ",\"stack_name\":\"sim-stack-%d\",\"stack_status\":\"CREATE_COMPLETE\","
                  "\"stack_status_reason\":\"Stack CREATE completed successfully\","
                  "\"description\":\"\",\"project\":",
                  j);
        jb_id(b, K_PROJECT, project);
        jb_raw(b, ",\"stack_owner\":null,\"stack_user_project_id\":");
        jb_id(b, K_PROJECT, project);
        jb_raw(b, ",\"parent\":null,\"tags\":null,\"creation_time\":");
        jb_time(b, c->sv[j].created - 60, T_Z);
        jb_raw(b, ",\"updated_time\":null,\"deletion_time\":null,\"links\":[{\"rel\":"
                  "\"self\",\"href\":\"");
        stack_href(r, j);
        jb_raw(b, "\"}]}");
    }
    jb_raw(b, "]}");
}

static void resource(struct req *r,
                     int j,
                     const char *name,
                     const char *type,
                     int kind,
                     int idx,
                     const char *required_by)
{
    const struct cloud *c = &r->s->c;
    struct jb *b = &r->out;
    jb_sep(b);
    jb_printf(b,
              "{\"resource_name\":\"%s\",\"logical_resource_id\":\"%s\","
              "\"physical_resource_id\":",
              name, name);
    jb_id(b, kind, idx);
    jb_printf(b,
              ",\"resource_type\":\"%s\",\"resource_status\":\"CREATE_COMPLETE\","
              "\"resource_status_reason\":\"state changed\",\"creation_time\":",
              type);
    jb_time(b, c->sv[j].created - 60, T_Z);
    jb_raw(b, ",\"updated_time\":");
    jb_time(b, c->sv[j].created - 50, T_Z);
    jb_printf(b, ",\"required_by\":[%s],\"links\":[{\"rel\":\"self\",\"href\":\"", required_by);
    stack_href(r, j);
    jb_printf(b, "/resources/%s\"},{\"rel\":\"stack\",\"href\":\"", name);
    stack_href(r, j);
    jb_raw(b, "\"}]}");
}

static void resources(struct req *r)
{
    const struct cloud *c = &r->s->c;
    /* stacks/<name>/<id>/resources, or stacks/<id>/resources */
    const char *id = r->nseg == 4 ? r->seg[2] : r->seg[1];
    int j = cloud_lookup(c, K_STACK, id);
    if (j < 0 || j >= c->nstack || (j < 64 && (c->stacks_deleted >> j & 1))) {
        req_error(r, 404, "The Stack could not be found.");
        return;
    }
    bool vol = j < c->nvol;
    jb_raw(&r->out, "{\"resources\":[");
    resource(r, j, "server", "OS::Nova::Server", K_SERVER, j, vol ? "\"volume_attachment\"" : "");
    if (c->sv[j].nports > 0)
        resource(r, j, "port", "OS::Neutron::Port", K_PORT, c->sv[j].port_first, "\"server\"");
    if (vol) {
        resource(r, j, "volume", "OS::Cinder::Volume", K_VOL, j, "\"volume_attachment\"");
        resource(r, j, "volume_attachment", "OS::Cinder::VolumeAttachment", K_ATT, j, "");
    }
    jb_raw(&r->out, "]}");
}

void heat_handle(struct req *r)
{
    bool get = !strcmp(r->method, "GET");
    if (get && r->nseg == 1 && !strcmp(r->seg[0], "stacks"))
        stacks(r);
    else if (get && (r->nseg == 4 || r->nseg == 3) && !strcmp(r->seg[0], "stacks") &&
             !strcmp(r->seg[r->nseg - 1], "resources"))
        resources(r);
    else
        req_error(r, 404, "The resource could not be found.");
}
