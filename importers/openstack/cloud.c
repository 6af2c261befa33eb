/* clouds.yaml / secure.yaml / OS_* -> struct ls_os_cloud (see cloud.h). The environment is
 * turned into the same JSON shape as a clouds.yaml entry, so one reader serves both. */
#include "importers/openstack/cloud.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "common/yaml_json.h"

#define MAX_FILE_BYTES (1 << 20)

void ls_os_cloud_free(struct ls_os_cloud *c)
{
    if (!c)
        return;
    char **strs[] = {&c->name,
                     &c->auth_url,
                     &c->username,
                     &c->user_id,
                     &c->user_domain_name,
                     &c->user_domain_id,
                     &c->password,
                     &c->project_name,
                     &c->project_id,
                     &c->project_domain_name,
                     &c->project_domain_id,
                     &c->app_cred_id,
                     &c->app_cred_name,
                     &c->app_cred_secret,
                     &c->region_name,
                     &c->interface,
                     &c->cacert,
                     &c->cert,
                     &c->key};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    json_decref(c->endpoint_override);
    free(c);
}

/* A string member as an owned copy (numbers are accepted as text: project ids may be all
 * digits in YAML); NULL when absent, null or empty. */
static char *str_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    char num[32];
    if (json_is_string(v) && json_string_length(v) > 0)
        return ls_xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        return ls_xstrdup(num);
    }
    return NULL;
}

/* The first present of two keys (e.g. project_name and its old name tenant_name). */
static char *str_of2(const json_t *obj, const char *key, const char *alt)
{
    char *s = str_of(obj, key);
    return s ? s : str_of(obj, alt);
}

static bool bool_of(const json_t *obj, const char *key, bool dflt)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    bool b = dflt;
    if (json_is_string(v)) /* OS_INSECURE=true, or a quoted YAML value */
        ls_parse_bool(json_string_value(v), &b);
    return b;
}

/* Keystone v3 lives under /v3: an auth_url without it (http://keystone:5000) gets it. */
static char *v3_url(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    char *out = ls_xmalloc(n + 4);
    bool has_v3 = n >= 3 && strncmp(url + n - 3, "/v3", 3) == 0;
    snprintf(out, n + 4, "%.*s%s", (int)n, url, has_v3 ? "" : "/v3");
    return out;
}

/* Reads one cloud entry (the clouds.yaml shape) into c. */
static int read_entry(struct ls_os_cloud *c, const json_t *e, struct ls_err *err)
{
    const json_t *auth = json_object_get(e, "auth");
    const char *type = json_string_value(json_object_get(e, "auth_type"));
    if (!type || !strcmp(type, "password") || !strcmp(type, "v3password"))
        c->auth_type = LS_OS_AUTH_PASSWORD;
    else if (!strcmp(type, "v3applicationcredential") || !strcmp(type, "applicationcredential"))
        c->auth_type = LS_OS_AUTH_APP_CREDENTIAL;
    else
        return ls_err_set(err, LS_EINVAL, "invalid_cloud",
                          "cloud %s: auth_type '%.64s' is not supported (password, "
                          "v3applicationcredential)",
                          c->name, type);
    char *url = str_of(auth, "auth_url");
    if (!url)
        return ls_err_set(err, LS_EINVAL, "invalid_cloud", "cloud %s: auth.auth_url is missing",
                          c->name);
    c->auth_url = v3_url(url);
    free(url);
    c->username = str_of(auth, "username");
    c->user_id = str_of(auth, "user_id");
    c->password = str_of(auth, "password");
    c->project_name = str_of2(auth, "project_name", "tenant_name");
    c->project_id = str_of2(auth, "project_id", "tenant_id");
    c->user_domain_name = str_of2(auth, "user_domain_name", "domain_name");
    c->user_domain_id = str_of2(auth, "user_domain_id", "domain_id");
    c->project_domain_name = str_of2(auth, "project_domain_name", "domain_name");
    c->project_domain_id = str_of2(auth, "project_domain_id", "domain_id");
    const json_t *sys = json_object_get(auth, "system_scope");
    c->system_scope = json_is_string(sys) && !strcmp(json_string_value(sys), "all");
    c->app_cred_id = str_of(auth, "application_credential_id");
    c->app_cred_name = str_of(auth, "application_credential_name");
    c->app_cred_secret = str_of(auth, "application_credential_secret");

    c->region_name = str_of(e, "region_name");
    const json_t *regions = json_object_get(e, "regions");
    if (!c->region_name && json_is_array(regions) && json_array_size(regions) > 0) {
        const json_t *r = json_array_get(regions, 0);
        if (json_is_object(r))
            c->region_name = str_of(r, "name");
        else if (json_is_string(r))
            c->region_name = ls_xstrdup(json_string_value(r));
    }
    c->interface = str_of2(e, "interface", "endpoint_type");
    if (!c->interface)
        c->interface = ls_xstrdup("public");
    size_t il = strlen(c->interface);
    if (il > 3 && !strcmp(c->interface + il - 3, "URL")) /* publicURL, internalURL */
        c->interface[il - 3] = '\0';
    c->cacert = str_of(e, "cacert");
    c->cert = str_of(e, "cert");
    c->key = str_of(e, "key");
    c->verify = bool_of(e, "verify", true) && !bool_of(e, "insecure", false);
    c->endpoint_override = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)e, k, v)
    {
        size_t kl = strlen(k);
        const char *suffix = "_endpoint_override";
        size_t sl = strlen(suffix);
        if (kl > sl && !strcmp(k + kl - sl, suffix) && json_is_string(v)) {
            char type_name[64];
            snprintf(type_name, sizeof(type_name), "%.*s", (int)(kl - sl), k);
            for (char *p = type_name; *p; p++)
                if (*p == '_')
                    *p = '-';
            json_object_set(c->endpoint_override, type_name, v);
        }
    }

    if (c->auth_type == LS_OS_AUTH_PASSWORD) {
        if (!c->password || (!c->username && !c->user_id))
            return ls_err_set(err, LS_EINVAL, "invalid_cloud",
                              "cloud %s: password auth needs auth.username (or user_id) and "
                              "auth.password",
                              c->name);
        if (c->username && !c->user_id && !c->user_domain_name && !c->user_domain_id)
            c->user_domain_id = ls_xstrdup("default");
        if (c->project_name && !c->project_id && !c->project_domain_name && !c->project_domain_id)
            c->project_domain_id = ls_xstrdup("default");
    } else if (!c->app_cred_secret || (!c->app_cred_id && !c->app_cred_name)) {
        return ls_err_set(err, LS_EINVAL, "invalid_cloud",
                          "cloud %s: application credential auth needs "
                          "auth.application_credential_id (or _name) and _secret",
                          c->name);
    } else if (!c->app_cred_id && !c->username && !c->user_id) {
        return ls_err_set(err, LS_EINVAL, "invalid_cloud",
                          "cloud %s: application_credential_name needs the user (username or "
                          "user_id)",
                          c->name);
    }
    return LS_OK;
}

/* Deep-merges src into dst (objects merge, anything else replaces): secure.yaml over
 * clouds.yaml. */
static void merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        json_t *d = json_object_get(dst, k);
        if (json_is_object(d) && json_is_object(v))
            merge(d, v);
        else
            json_object_set(dst, k, v);
    }
}

/* The OS_* variables as a clouds.yaml entry (new reference). */
static json_t *env_entry(void)
{
    static const char *const auth_vars[][2] = {
        {"OS_AUTH_URL", "auth_url"},
        {"OS_USERNAME", "username"},
        {"OS_USER_ID", "user_id"},
        {"OS_PASSWORD", "password"},
        {"OS_PROJECT_NAME", "project_name"},
        {"OS_TENANT_NAME", "tenant_name"},
        {"OS_PROJECT_ID", "project_id"},
        {"OS_TENANT_ID", "tenant_id"},
        {"OS_USER_DOMAIN_NAME", "user_domain_name"},
        {"OS_USER_DOMAIN_ID", "user_domain_id"},
        {"OS_PROJECT_DOMAIN_NAME", "project_domain_name"},
        {"OS_PROJECT_DOMAIN_ID", "project_domain_id"},
        {"OS_DOMAIN_NAME", "domain_name"},
        {"OS_DOMAIN_ID", "domain_id"},
        {"OS_SYSTEM_SCOPE", "system_scope"},
        {"OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"},
        {"OS_APPLICATION_CREDENTIAL_NAME", "application_credential_name"},
        {"OS_APPLICATION_CREDENTIAL_SECRET", "application_credential_secret"},
    };
    static const char *const top_vars[][2] = {
        {"OS_AUTH_TYPE", "auth_type"},
        {"OS_REGION_NAME", "region_name"},
        {"OS_INTERFACE", "interface"},
        {"OS_ENDPOINT_TYPE", "endpoint_type"},
        {"OS_CACERT", "cacert"},
        {"OS_CERT", "cert"},
        {"OS_KEY", "key"},
        {"OS_INSECURE", "insecure"},
    };
    json_t *auth = json_object(), *e = json_object();
    for (size_t i = 0; i < sizeof(auth_vars) / sizeof(auth_vars[0]); i++) {
        const char *v = getenv(auth_vars[i][0]);
        if (v && *v)
            json_object_set_new(auth, auth_vars[i][1], json_string(v));
    }
    for (size_t i = 0; i < sizeof(top_vars) / sizeof(top_vars[0]); i++) {
        const char *v = getenv(top_vars[i][0]);
        if (v && *v)
            json_object_set_new(e, top_vars[i][1], json_string(v));
    }
    json_object_set_new(e, "auth", auth);
    return e;
}

static int parse_yaml(json_t **out, const char *text, const char *what, struct ls_err *err)
{
    *out = NULL;
    if (!text)
        return LS_OK;
    int rc = ls_yaml_to_json(out, text, strlen(text), err);
    if (rc != LS_OK)
        return ls_err_wrap(err, "%s", what);
    return LS_OK;
}

int ls_os_cloud_parse(struct ls_os_cloud **out,
                      const char *name,
                      const char *clouds_yaml,
                      const char *secure_yaml,
                      const char *origin,
                      struct ls_err *err)
{
    *out = NULL;
    json_t *clouds = NULL, *secure = NULL, *entry = NULL;
    int rc;
    if (!strcmp(name, "envvars")) {
        entry = env_entry();
    } else {
        rc = parse_yaml(&clouds, clouds_yaml, origin, err);
        if (rc == LS_OK)
            rc = parse_yaml(&secure, secure_yaml, "secure.yaml", err);
        if (rc != LS_OK) {
            json_decref(clouds);
            return rc;
        }
        json_t *e = json_object_get(json_object_get(clouds, "clouds"), name);
        if (!json_is_object(e)) {
            json_decref(clouds);
            json_decref(secure);
            return ls_err_set(err, LS_ENOTFOUND, "cloud_not_found", "cloud '%.64s' is not in %s",
                              name, origin);
        }
        entry = json_deep_copy(e);
        const json_t *s = json_object_get(json_object_get(secure, "clouds"), name);
        if (json_is_object(s))
            merge(entry, s);
        json_decref(clouds);
        json_decref(secure);
    }
    struct ls_os_cloud *c = ls_xcalloc(1, sizeof(*c));
    c->name = ls_xstrdup(name);
    rc = read_entry(c, entry, err);
    json_decref(entry);
    if (rc != LS_OK) {
        ls_os_cloud_free(c);
        return rc;
    }
    *out = c;
    return LS_OK;
}

/* Whole file into a string; NULL (and errno) when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = ls_xmalloc(MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, MAX_FILE_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The directories clients search, in order (openstacksdk: the working directory, the user's
 * config dir ($XDG_CONFIG_HOME/openstack, ~/.config/openstack), the site's (/etc/xdg/openstack,
 * /etc/openstack)). */
static int search_dirs(char dirs[][512], int max)
{
    int n = 0;
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    snprintf(dirs[n++], 512, ".");
    if (xdg && *xdg && n < max)
        snprintf(dirs[n++], 512, "%s/openstack", xdg);
    if (home && *home && n < max)
        snprintf(dirs[n++], 512, "%s/.config/openstack", home);
    if (n < max)
        snprintf(dirs[n++], 512, "/etc/xdg/openstack");
    if (n < max)
        snprintf(dirs[n++], 512, "/etc/openstack");
    return n;
}

int ls_os_cloud_load(struct ls_os_cloud **out, const char *name, struct ls_err *err)
{
    *out = NULL;
    if (!name || !*name)
        name = getenv("OS_CLOUD");
    if (!name || !*name)
        name = "envvars";
    if (!strcmp(name, "envvars"))
        return ls_os_cloud_parse(out, name, NULL, NULL, "the environment", err);

    char dirs[5][512], path[600], looked[2048] = "";
    int nd = search_dirs(dirs, 5);
    char *clouds = NULL, *secure = NULL;
    const char *explicit_file = getenv("OS_CLIENT_CONFIG_FILE");
    if (explicit_file && *explicit_file) {
        snprintf(path, sizeof(path), "%s", explicit_file);
        clouds = slurp(path);
        snprintf(looked, sizeof(looked), "%s", path);
    }
    for (int i = 0; i < nd && !clouds; i++) {
        snprintf(path, sizeof(path), "%s/clouds.yaml", dirs[i]);
        clouds = slurp(path);
        size_t l = strlen(looked);
        snprintf(looked + l, sizeof(looked) - l, "%s%s", l ? ", " : "", path);
    }
    if (!clouds)
        return ls_err_set(err, LS_ENOTFOUND, "cloud_not_found",
                          "cloud '%.64s': no clouds.yaml found (looked in %s)", name, looked);
    char origin[640];
    snprintf(origin, sizeof(origin), "%s", path);
    for (int i = 0; i < nd && !secure; i++) {
        snprintf(path, sizeof(path), "%s/secure.yaml", dirs[i]);
        secure = slurp(path);
    }
    int rc = ls_os_cloud_parse(out, name, clouds, secure, origin, err);
    free(clouds);
    free(secure);
    return rc;
}

const char *ls_os_cloud_describe(const struct ls_os_cloud *c, char *buf, size_t cap)
{
    const char *user = c->username ? c->username : c->user_id ? c->user_id : "-";
    const char *scope = c->system_scope   ? "system:all"
                        : c->project_id   ? c->project_id
                        : c->project_name ? c->project_name
                                          : "-";
    snprintf(buf, cap,
             "cloud=%s auth_url=%s auth_type=%s user=%s scope=%s region=%s "
             "interface=%s verify=%s",
             c->name, c->auth_url,
             c->auth_type == LS_OS_AUTH_PASSWORD ? "password" : "v3applicationcredential",
             c->auth_type == LS_OS_AUTH_APP_CREDENTIAL && c->app_cred_id ? c->app_cred_id : user,
             scope, c->region_name ? c->region_name : "-", c->interface,
             c->verify ? "true" : "false");
    return buf;
}
