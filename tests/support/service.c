/* Runs landscaped as a child process and drives it over loopback HTTP. */
#include "tests/support/service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/support/pg_harness.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void dump_log(const struct ls_service *s)
{
    char path[300], line[1024];
    snprintf(path, sizeof(path), "%s/service.log", s->dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

/* Every thread's stack of a process that does not stop, from gdb when the machine has it. */
static void dump_threads(pid_t pid)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd),
             "command -v gdb >/dev/null && gdb -p %d -batch -ex 'thread apply all bt' 2>&1 | "
             "grep -E '^(Thread|#)' 1>&2",
             (int)pid);
    if (system(cmd) != 0)
        fprintf(stderr, "# (no thread stacks: gdb is missing or could not attach)\n");
}

int ls_service_start(struct ls_service *s, const char *dsn, const char *const *extra)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/ls-svc-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    const char *bindir = getenv("LS_BINARY_DIR");
    char bin[512], portfile[300], log[300];
    snprintf(bin, sizeof(bin), "%s/bin/landscaped", bindir ? bindir : ".");
    snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
    snprintf(log, sizeof(log), "%s/service.log", s->dir);
    /* --pg-fast-unsafe: when a test runs the private Postgres (dsn ""), it skips fsync */
    const char *argv[64] = {bin,      "--listen",    "127.0.0.1:0", "--port-file",
                            portfile, "--db",        dsn,           "--data-dir",
                            s->dir,   "--log-level", "info",        "--pg-fast-unsafe"};
    int argc = 12;
    const char *scheme = "http";
    for (int i = 0; extra && extra[i] && argc < 62; i++) {
        if (strcmp(extra[i], "--tls-cert") == 0)
            scheme = "https";
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        if (f == NULL || dup2(fileno(stderr), STDOUT_FILENO) < 0)
            _exit(126);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* up to 60 s (ASan builds start slowly) */
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", &s->port);
            fclose(f);
            if (ok == 1) {
                snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", scheme, s->port);
                return 0;
            }
        }
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            fprintf(stderr, "landscaped exited early (status %d):\n", st);
            dump_log(s);
            return -1;
        }
        sleep_ms(100);
    }
    dump_log(s);
    return -1;
}

static bool log_has(const struct ls_service *s, const char *a, const char *b)
{
    char path[300], line[4096];
    snprintf(path, sizeof(path), "%s/service.log", s->dir);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, a) && (b == NULL || strstr(line, b));
    if (f)
        fclose(f);
    return found;
}

bool ls_service_logged(const struct ls_service *s, const char *a, const char *b, int wait_ms)
{
    for (int waited = 0;; waited += 50) {
        if (log_has(s, a, b))
            return true;
        if (waited >= wait_ms)
            return false;
        usleep(50 * 1000);
    }
}

int ls_service_stop(struct ls_service *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                dump_log(s);
                if (WIFEXITED(st))
                    fprintf(stderr, "# landscaped exited with status %d (log above)\n",
                            WEXITSTATUS(st));
                else
                    fprintf(stderr, "# landscaped was ended by signal %d (log above)\n",
                            WIFSIGNALED(st) ? WTERMSIG(st) : -1);
            }
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        sleep_ms(100);
    }
    dump_log(s);
    fprintf(stderr, "# landscaped did not stop within 30 s of SIGTERM (log above); its threads:\n");
    dump_threads(s->pid);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}

struct sink {
    char *data;
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    char *d = realloc(s->data, s->len + size * n + 1);
    if (d == NULL)
        return 0;
    memcpy(d + s->len, p, size * n);
    s->len += size * n;
    d[s->len] = '\0';
    s->data = d;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct ls_http_result *r = arg;
    size_t len = size * n;
    char line[600];
    snprintf(line, sizeof(line), "%.*s", (int)(len < 599 ? len : 599), p);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "Location: ", 10) == 0)
        snprintf(r->location, sizeof(r->location), "%.500s", line + 10);
    if (strncasecmp(line, "ETag: ", 6) == 0)
        snprintf(r->etag, sizeof(r->etag), "%.60s", line + 6);
    if (strncasecmp(line, "WWW-Authenticate: ", 18) == 0)
        snprintf(r->www_authenticate, sizeof(r->www_authenticate), "%.250s", line + 18);
    return len;
}

int ls_http(struct ls_service *s,
            const char *method,
            const char *path,
            const char *body,
            const char *header,
            struct ls_http_result *out)
{
    const char *headers[] = {header, NULL};
    return ls_http_headers(s, method, path, body, headers, out);
}

static int http_n(struct ls_service *s,
                  const char *method,
                  const char *path,
                  const char *body,
                  size_t len,
                  const char *const *headers,
                  struct ls_http_result *out);

static bool has_header(const char *const *headers, const char *name)
{
    for (; headers && *headers; headers++)
        if (strncasecmp(*headers, name, strlen(name)) == 0 && (*headers)[strlen(name)] == ':')
            return true;
    return false;
}

int ls_http_headers(struct ls_service *s,
                    const char *method,
                    const char *path,
                    const char *body,
                    const char *const *headers,
                    struct ls_http_result *out)
{
    return http_n(s, method, path, body, body ? strlen(body) : 0, headers, out);
}

int ls_http_body(struct ls_service *s,
                 const char *method,
                 const char *path,
                 const char *content_type,
                 const char *body,
                 size_t len,
                 struct ls_http_result *out)
{
    char ctype[160];
    snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
    const char *headers[] = {ctype, NULL};
    return http_n(s, method, path, body, len, headers, out);
}

/* ls_http_headers with a body of len bytes (any bytes). */
static int http_n(struct ls_service *s,
                  const char *method,
                  const char *path,
                  const char *body,
                  size_t len,
                  const char *const *headers,
                  struct ls_http_result *out)
{
    memset(out, 0, sizeof(*out));
    CURL *c = curl_easy_init();
    char url[4096], auth[300];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    struct sink sink = {0};
    struct curl_slist *hdrs = NULL;
    if (!has_header(headers, "Content-Type"))
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (s->token[0] && !has_header(headers, "Authorization") &&
        !has_header(headers, "X-Auth-Token")) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    for (; headers && *headers; headers++)
        hdrs = curl_slist_append(hdrs, *headers);
    if (s->cacert[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, s->cacert);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s > 0 ? s->timeout_s : 30L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    out->body = sink.data ? sink.data : strdup("");
    out->json = json_loads(out->body, JSON_DECODE_ANY, NULL);
    return rc == CURLE_OK ? 0 : -1;
}

void ls_http_result_cleanup(struct ls_http_result *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

json_t *ls_jget(const json_t *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *v = (json_t *)root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v)) {
            char *end;
            long i = strtol(tok, &end, 10);
            v = *end ? NULL : json_array_get(v, (size_t)i);
        } else {
            v = json_object_get(v, tok);
        }
    }
    return v;
}

const char *ls_jstr(const json_t *root, const char *path)
{
    return json_string_value(ls_jget(root, path));
}

long long ls_jint(const json_t *root, const char *path)
{
    json_t *v = ls_jget(root, path);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

int ls_service_group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return ls_harness_start();
}

int ls_service_group_teardown(void **state)
{
    (void)state;
    ls_harness_stop();
    curl_global_cleanup();
    return 0;
}
