/* Bounded memory through the API of the real landscaped (loopback, private Postgres): reads of
 * the graph as of a time come in pages of at most max-page-size with a `next` link; an event
 * stream replays a change log larger than its queue page by page, then goes live; a stream
 * that stops reading is ended with an event naming where to resume, and resuming there loses
 * nothing. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "tests/support/pg_harness.h"
#include "tests/support/service.h"

/* Pages of 3 and the smallest event queue (4 KiB): a replay of 60 revisions (~9 KiB of
 * events) cannot be queued at once. */
static const char *const flags[] = {"--max-page-size",
                                    "3",
                                    "--default-page-size",
                                    "2",
                                    "--sse-queue-bytes",
                                    "4096",
                                    "--max-body-bytes",
                                    "16777216",
                                    NULL};

struct fx {
    struct ls_service svc;
    char dsn[512];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dsn, sizeof(f->dsn), "%s", ls_harness_new_db());
    if (ls_service_start(&f->svc, f->dsn, flags) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = ls_service_stop(&f->svc);
    free(f);
    return rc == 0 ? 0 : -1;
}

static struct ls_http_result
req(struct fx *f, const char *method, const char *path, const char *body, long want)
{
    struct ls_http_result r;
    assert_int_equal(ls_http(&f->svc, method, path, body, NULL, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, want, r.body);
    return r;
}

/* A chain m0 -> m1 -> ... -> m6 (connected_to) plus a deleted node, so pages must skip it. */
static void make_chain(struct fx *f)
{
    char body[256];
    for (int i = 0; i < 7; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"m%d\",\"type\":\"machine\"}", i);
        struct ls_http_result r = req(f, "POST", "/v1/nodes", body, 201);
        ls_http_result_cleanup(&r);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(body, sizeof(body), "{\"src\":\"m%d\",\"type\":\"connected_to\",\"dst\":\"m%d\"}",
                 i, i + 1);
        struct ls_http_result r = req(f, "POST", "/v1/edges", body, 201);
        ls_http_result_cleanup(&r);
    }
    struct ls_http_result r =
        req(f, "POST", "/v1/nodes", "{\"id\":\"gone\",\"type\":\"rack\"}", 201);
    ls_http_result_cleanup(&r);
    r = req(f, "DELETE", "/v1/nodes/gone", NULL, 204);
    ls_http_result_cleanup(&r);
}

static void test_graph_at_comes_in_pages_of_max_page_size(void **state)
{
    struct fx *f = *state;
    make_chain(f);
    char at[64], path[512];
    time_t now = time(NULL) + 1;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(path, sizeof(path), "/v1/graph?at=%s", at);
    int pages = 0, nodes = 0, edges = 0;
    char seen[16] = {0};
    for (;;) {
        struct ls_http_result r = req(f, "GET", path, NULL, 200);
        size_t n = json_array_size(ls_jget(r.json, "nodes"));
        assert_true(n >= 1 && n <= 3);
        for (size_t i = 0; i < n; i++) {
            char k[32];
            snprintf(k, sizeof(k), "nodes.%zu.id", i);
            const char *id = ls_jstr(r.json, k);
            assert_true(id[0] == 'm'); /* the deleted node is not in the picture */
            assert_int_equal(seen[id[1] - '0']++, 0);
        }
        nodes += (int)n;
        /* each page has the edges out of its nodes, also those to a node of another page */
        edges += (int)json_array_size(ls_jget(r.json, "edges"));
        assert_false(json_is_true(ls_jget(r.json, "truncated")));
        pages++;
        const char *next = ls_jstr(r.json, "next");
        if (next == NULL) {
            ls_http_result_cleanup(&r);
            break;
        }
        assert_non_null(strstr(next, "marker="));
        snprintf(path, sizeof(path), "%s", next);
        ls_http_result_cleanup(&r);
        assert_true(pages < 10);
    }
    assert_int_equal(pages, 3);
    assert_int_equal(nodes, 7);
    assert_int_equal(edges, 6);
    /* a page larger than max-page-size is refused, a smaller one honoured */
    snprintf(path, sizeof(path), "/v1/graph?at=%s&limit=4", at);
    struct ls_http_result r = req(f, "GET", path, NULL, 400);
    assert_string_equal(ls_jstr(r.json, "error.code"), "invalid_parameter");
    ls_http_result_cleanup(&r);
    snprintf(path, sizeof(path), "/v1/graph?at=%s&limit=1&type=machine", at);
    r = req(f, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(ls_jget(r.json, "nodes")), 1);
    assert_string_equal(ls_jstr(r.json, "nodes.0.id"), "m0");
    assert_string_equal(ls_jstr(r.json, "edges.0.dst"), "m1");
    ls_http_result_cleanup(&r);
}

/* ---- event streams over a raw socket (HTTP/1.0: no chunking; the test decides when to read) */

static int sse_open(struct fx *f, const char *path, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0) /* before connect: the window the server may fill */
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->svc.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    return fd;
}

struct sse_buf {
    char *data;
    size_t len, cap;
    bool eof;
};

/* Reads into b until needle shows up (NULL: until the end of the stream), the stream ends,
 * or 120 s pass (heartbeats keep a live stream busy: the bound is overall); true when the
 * needle (or the end) was seen. */
static bool sse_read_until(int fd, struct sse_buf *b, const char *needle)
{
    time_t deadline = time(NULL) + 120;
    for (;;) {
        if (b->data && needle && strstr(b->data, needle))
            return true;
        if (b->eof)
            return needle == NULL;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (time(NULL) > deadline || poll(&p, 1, 5000) < 0)
            return false;
        if (p.revents == 0)
            continue;
        if (b->cap - b->len < 65537) {
            b->cap = b->cap * 2 + 65537;
            b->data = realloc(b->data, b->cap);
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n <= 0)
            b->eof = true;
        else
            b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
}

/* Index of "id: <rev>\nevent: change" in b, or -1. */
static long event_at(const struct sse_buf *b, int rev)
{
    char k[64];
    snprintf(k, sizeof(k), "\nid: %d\nevent: change\n", rev);
    const char *p = strstr(b->data, k);
    return p ? (long)(p - b->data) : -1;
}

static void post_nodes(struct fx *f, const char *prefix, int n, size_t pad)
{
    char *filler = malloc(pad + 1), *body = malloc(pad + 256);
    memset(filler, 'x', pad);
    filler[pad] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(body, pad + 256,
                 "{\"id\":\"%s-%04d\",\"type\":\"rack\",\"attrs\":{\"filler\":\"%s\"}}", prefix, i,
                 filler);
        struct ls_http_result r = req(f, "POST", "/v1/nodes", body, 201);
        ls_http_result_cleanup(&r);
    }
    free(filler);
    free(body);
}

static void test_a_replay_larger_than_the_queue_comes_in_pages_then_goes_live(void **state)
{
    struct fx *f = *state;
    post_nodes(f, "rack-with-a-long-enough-name", 60, 10); /* revisions 1..60 */
    int fd = sse_open(f, "/v1/events?since=0", 0);
    struct sse_buf b = {0};
    assert_true(sse_read_until(fd, &b, "\nid: 60\n"));
    post_nodes(f, "live", 1, 10); /* revision 61, while the stream is live */
    assert_true(sse_read_until(fd, &b, "\nid: 61\n"));
    /* every revision once, in order: replayed ones from the log, the last one live */
    long prev = -1;
    for (int rev = 1; rev <= 61; rev++) {
        long at = event_at(&b, rev);
        if (at < 0)
            fail_msg("revision %d missing from the stream", rev);
        assert_true(at > prev);
        char k[64];
        snprintf(k, sizeof(k), "\nid: %d\nevent: change\n", rev);
        assert_null(strstr(b.data + at + 1, k)); /* not twice */
        prev = at;
    }
    assert_non_null(
        strstr(b.data, "\"id\":\"rack-with-a-long-enough-name-0059\",\"replayed\":true"));
    assert_non_null(strstr(b.data + event_at(&b, 61), "\"node\":{")); /* live: the whole node */
    assert_null(strstr(b.data, "event: overflow"));
    close(fd);
    free(b.data);
}

/* Occurrences of needle in b. */
static int count_of(const struct sse_buf *b, const char *needle)
{
    int n = 0;
    for (const char *p = b->data; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* nodes of ~3 KiB in one revision: 7.5 MiB of events, past any socket buffer */
#define BURST 2500

static void test_a_stream_that_stops_reading_is_ended_with_where_to_resume(void **state)
{
    struct fx *f = *state;
    post_nodes(f, "before", 1, 10); /* revision 1 */
    /* a reader with a tiny window that reads nothing while one revision makes BURST events */
    int slow = sse_open(f, "/v1/events", 1024);
    struct sse_buf b = {0};
    assert_true(sse_read_until(slow, &b, "landscape events"));
    struct ls_buf body;
    ls_buf_init(&body, 0);
    char filler[3001];
    memset(filler, 'x', 3000);
    filler[3000] = '\0';
    assert_int_equal(ls_buf_puts(&body, "{\"nodes\":["), LS_OK);
    for (int i = 0; i < BURST; i++)
        assert_int_equal(ls_buf_printf(&body,
                                       "%s{\"type\":\"rack\",\"name\":\"burst-%04d\","
                                       "\"attrs\":{\"filler\":\"%s\"}}",
                                       i ? "," : "", i, filler),
                         LS_OK);
    assert_int_equal(ls_buf_puts(&body, "]}"), LS_OK);
    struct ls_http_result r = req(f, "POST", "/v1/bulk", body.data, 200); /* revision 2 */
    ls_http_result_cleanup(&r);
    ls_buf_cleanup(&body);
    /* now it reads: what was queued, then the overflow event, then the end */
    if (!sse_read_until(slow, &b, NULL))
        fail_msg("stream did not end: %zu bytes, overflow %s", b.len,
                 strstr(b.data, "overflow") ? "yes" : "no");
    close(slow);
    const char *ov = strstr(b.data, "event: overflow\ndata: {\"code\":\"slow_consumer\",");
    assert_non_null(ov);
    /* revision 1 was the last one it had whole; the overflow event's id says so too, as
     * EventSource's Last-Event-ID will on reconnecting */
    assert_non_null(strstr(b.data, "id: 1\nevent: overflow\ndata: {\"code\":\"slow_consumer\","
                                   "\"resume_since\":1}"));
    assert_true(count_of(&b, "\"kind\":\"node\",\"id\":\"manual:rack:burst-") < BURST);
    /* resuming from there replays all of revision 2 (a page at a time), then goes live */
    int fd = sse_open(f, "/v1/events?since=1", 0);
    struct sse_buf c = {0};
    assert_true(sse_read_until(fd, &c, "\"id\":\"manual:rack:burst-2499\""));
    assert_int_equal(count_of(&c, "\"kind\":\"node\",\"id\":\"manual:rack:burst-"), BURST);
    assert_int_equal(count_of(&c, "\nid: 2\nevent: change\n"), BURST);
    post_nodes(f, "after", 1, 10); /* revision 3 */
    assert_true(sse_read_until(fd, &c, "\nid: 3\nevent: change\n"));
    assert_null(strstr(c.data, "event: overflow"));
    close(fd);
    free(b.data);
    free(c.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_graph_at_comes_in_pages_of_max_page_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_replay_larger_than_the_queue_comes_in_pages_then_goes_live, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_stream_that_stops_reading_is_ended_with_where_to_resume, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration/bounded_http", tests, ls_service_group_setup,
                                       ls_service_group_teardown);
}
