/* importers/openstack/cloud: clouds.yaml, secure.yaml and OS_* -> one cloud's settings, the
 * way OpenStack clients read them; missing pieces are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "importers/openstack/cloud.h"

static const char clouds[] = "clouds:\n"
                             "  prod:\n"
                             "    auth:\n"
                             "      auth_url: https://keystone.example.net:5000\n"
                             "      username: landscape\n"
                             "      project_name: ops\n"
                             "      user_domain_name: Corp\n"
                             "      project_domain_id: default\n"
                             "    regions: [RegionTwo, RegionThree]\n"
                             "    interface: internalURL\n"
                             "    cacert: /etc/ssl/corp-ca.pem\n"
                             "    compute_endpoint_override: https://nova.internal:8774/v2.1\n"
                             "  appcred:\n"
                             "    auth_type: v3applicationcredential\n"
                             "    auth:\n"
                             "      auth_url: http://127.0.0.1:5000/v3/\n"
                             "      application_credential_id: 0123abcd\n"
                             "      application_credential_secret: s3cr3t\n"
                             "    verify: false\n"
                             "  system:\n"
                             "    auth:\n"
                             "      auth_url: http://127.0.0.1:5000/v3\n"
                             "      username: admin\n"
                             "      password: pw\n"
                             "      system_scope: all\n"
                             "  broken:\n"
                             "    auth:\n"
                             "      username: nobody\n";

static const char secure[] = "clouds:\n"
                             "  prod:\n"
                             "    auth:\n"
                             "      password: from-secure-yaml\n";

static void test_named_cloud_with_secure_yaml(void **state)
{
    (void)state;
    struct ls_os_cloud *c;
    struct ls_err err;
    assert_int_equal(ls_os_cloud_parse(&c, "prod", clouds, secure, "clouds.yaml", &err), LS_OK);
    assert_string_equal(c->auth_url, "https://keystone.example.net:5000/v3");
    assert_int_equal(c->auth_type, LS_OS_AUTH_PASSWORD);
    assert_string_equal(c->username, "landscape");
    assert_string_equal(c->password, "from-secure-yaml");
    assert_string_equal(c->project_name, "ops");
    assert_string_equal(c->user_domain_name, "Corp");
    assert_string_equal(c->project_domain_id, "default");
    assert_string_equal(c->region_name, "RegionTwo");
    assert_string_equal(c->interface, "internal");
    assert_string_equal(c->cacert, "/etc/ssl/corp-ca.pem");
    assert_true(c->verify);
    assert_string_equal(json_string_value(json_object_get(c->endpoint_override, "compute")),
                        "https://nova.internal:8774/v2.1");
    char desc[512];
    ls_os_cloud_describe(c, desc, sizeof(desc));
    assert_null(strstr(desc, "from-secure-yaml"));
    assert_non_null(strstr(desc, "user=landscape"));
    ls_os_cloud_free(c);
}

static void test_application_credential_and_system_scope(void **state)
{
    (void)state;
    struct ls_os_cloud *c;
    struct ls_err err;
    assert_int_equal(ls_os_cloud_parse(&c, "appcred", clouds, NULL, "clouds.yaml", &err), LS_OK);
    assert_int_equal(c->auth_type, LS_OS_AUTH_APP_CREDENTIAL);
    assert_string_equal(c->auth_url, "http://127.0.0.1:5000/v3");
    assert_string_equal(c->app_cred_id, "0123abcd");
    assert_false(c->verify);
    assert_string_equal(c->interface, "public");
    char desc[512];
    assert_null(strstr(ls_os_cloud_describe(c, desc, sizeof(desc)), "s3cr3t"));
    ls_os_cloud_free(c);
    assert_int_equal(ls_os_cloud_parse(&c, "system", clouds, NULL, "clouds.yaml", &err), LS_OK);
    assert_true(c->system_scope);
    assert_string_equal(c->user_domain_id, "default"); /* a user name needs a domain */
    ls_os_cloud_free(c);
}

static void test_missing_pieces_are_named(void **state)
{
    (void)state;
    struct ls_os_cloud *c;
    struct ls_err err;
    assert_int_equal(ls_os_cloud_parse(&c, "broken", clouds, NULL, "clouds.yaml", &err), LS_EINVAL);
    assert_string_equal(err.msg, "cloud broken: auth.auth_url is missing");
    assert_int_equal(
        ls_os_cloud_parse(&c, "nope", clouds, NULL, "/etc/openstack/clouds.yaml", &err),
        LS_ENOTFOUND);
    assert_string_equal(err.msg, "cloud 'nope' is not in /etc/openstack/clouds.yaml");
    assert_int_equal(ls_os_cloud_parse(&c, "x", "clouds: [", NULL, "clouds.yaml", &err), LS_EINVAL);
    assert_non_null(strstr(err.msg, "clouds.yaml"));
}

static void test_environment_variables(void **state)
{
    (void)state;
    setenv("OS_AUTH_URL", "http://10.0.0.1:5000/v3", 1);
    setenv("OS_USERNAME", "admin", 1);
    setenv("OS_PASSWORD", "secret", 1);
    setenv("OS_PROJECT_NAME", "admin", 1);
    setenv("OS_USER_DOMAIN_NAME", "Default", 1);
    setenv("OS_PROJECT_DOMAIN_NAME", "Default", 1);
    setenv("OS_REGION_NAME", "RegionOne", 1);
    unsetenv("OS_CLOUD");
    struct ls_os_cloud *c;
    struct ls_err err;
    assert_int_equal(ls_os_cloud_load(&c, NULL, &err), LS_OK);
    assert_string_equal(c->name, "envvars");
    assert_string_equal(c->auth_url, "http://10.0.0.1:5000/v3");
    assert_string_equal(c->password, "secret");
    assert_string_equal(c->project_domain_name, "Default");
    assert_string_equal(c->region_name, "RegionOne");
    ls_os_cloud_free(c);
    unsetenv("OS_PASSWORD");
    assert_int_equal(ls_os_cloud_load(&c, "envvars", &err), LS_EINVAL);
    assert_non_null(strstr(err.msg, "auth.password"));
}

static void test_clouds_yaml_found_as_clients_find_it(void **state)
{
    (void)state;
    char dir[] = "/tmp/ls-clouds-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/my-clouds.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(clouds, f);
    fclose(f);
    setenv("OS_CLIENT_CONFIG_FILE", path, 1);
    struct ls_os_cloud *c;
    struct ls_err err;
    assert_int_equal(ls_os_cloud_load(&c, "appcred", &err), LS_OK);
    assert_string_equal(c->app_cred_secret, "s3cr3t");
    ls_os_cloud_free(c);
    setenv("OS_CLOUD", "system", 1); /* OS_CLOUD names the cloud when none is given */
    assert_int_equal(ls_os_cloud_load(&c, NULL, &err), LS_OK);
    assert_string_equal(c->name, "system");
    ls_os_cloud_free(c);
    unsetenv("OS_CLOUD");
    /* XDG_CONFIG_HOME/openstack/clouds.yaml when no file is named (and none in the cwd) */
    unsetenv("OS_CLIENT_CONFIG_FILE");
    char xdg[160];
    snprintf(xdg, sizeof(xdg), "%s/openstack", dir);
    mkdir(xdg, 0755);
    snprintf(path, sizeof(path), "%s/clouds.yaml", xdg);
    f = fopen(path, "w");
    fputs(clouds, f);
    fclose(f);
    setenv("XDG_CONFIG_HOME", dir, 1);
    char old[512];
    assert_non_null(getcwd(old, sizeof(old)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(ls_os_cloud_load(&c, "system", &err), LS_OK);
    assert_string_equal(c->username, "admin");
    ls_os_cloud_free(c);
    assert_int_equal(ls_os_cloud_load(&c, "missing", &err), LS_ENOTFOUND);
    assert_non_null(strstr(err.msg, "is not in"));
    assert_int_equal(chdir(old), 0);
    unlink(path);
    rmdir(xdg);
    snprintf(path, sizeof(path), "%s/my-clouds.yaml", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_cloud_with_secure_yaml),
        cmocka_unit_test(test_application_credential_and_system_scope),
        cmocka_unit_test(test_missing_pieces_are_named),
        cmocka_unit_test(test_environment_variables),
        cmocka_unit_test(test_clouds_yaml_found_as_clients_find_it),
    };
    return cmocka_run_group_tests_name("openstack/cloud", tests, NULL, NULL);
}
