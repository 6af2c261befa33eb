/* server/notify: the signature (RFC 4231 vector), the backoff schedule, a subscriber's bounded
 * queue (drop + count, order kept) and webhooks against a loopback receiver (retries on 5xx,
 * none on 4xx, signed bodies). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "server/notify.h"
#include "tests/support/hook_server.h"

static void test_signature_matches_rfc4231_case_2(void **state)
{
    (void)state;
    /* RFC 4231, 4.3 (test case 2): key "Jefe", data "what do ya want for nothing?" */
    char sig[72];
    const char *data = "what do ya want for nothing?";
    ls_notify_sign(sig, "Jefe", data, strlen(data));
    assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c7"
                             "5a003f089d2739839dec58b964ec3843");
}

static void test_backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    assert_int_equal(ls_notify_backoff_ms(2, 500, 30000), 500);
    assert_int_equal(ls_notify_backoff_ms(3, 500, 30000), 1000);
    assert_int_equal(ls_notify_backoff_ms(4, 500, 30000), 2000);
    assert_int_equal(ls_notify_backoff_ms(8, 500, 30000), 30000);
    assert_int_equal(ls_notify_backoff_ms(60, 500, 30000), 30000);
}

/* A subscriber that blocks on its first event until released, and records event ids. */
struct sub {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool entered, released;
    long seen[64];
    size_t n;
};

static void on_event(const struct ls_notify_event *ev, void *arg)
{
    struct sub *s = arg;
    pthread_mutex_lock(&s->lock);
    s->entered = true;
    pthread_cond_broadcast(&s->cond);
    while (!s->released)
        pthread_cond_wait(&s->cond, &s->lock);
    if (s->n < 64)
        s->seen[s->n++] = (long)json_integer_value(json_object_get(ev->data, "i"));
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void publish_i(struct ls_notify *n, const char *name, long i)
{
    json_t *d = json_pack("{s:I}", "i", (json_int_t)i);
    ls_notify_publish(n, name, d);
    json_decref(d);
}

static void test_full_subscriber_queue_drops_and_counts_keeping_order(void **state)
{
    (void)state;
    struct sub s = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    struct ls_notify_opts o = {.queue_max = 4};
    struct ls_notify *n = ls_notify_new(&o, NULL);
    struct ls_err err;
    assert_int_equal(ls_notify_subscribe(n, "colour", on_event, &s, &err), LS_OK);
    publish_i(n, "colour", 0);
    pthread_mutex_lock(&s.lock);
    while (!s.entered) /* event 0 is out of the queue, its callback blocked */
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    for (long i = 1; i <= 7; i++) /* 1..4 fit, 5..7 are dropped */
        publish_i(n, "colour", i);
    publish_i(n, "incident", 99); /* not this subscriber's event: neither queued nor dropped */
    struct ls_notify_stats st;
    ls_notify_stats(n, &st);
    assert_int_equal(st.published, 9);
    assert_int_equal(st.dropped, 3);
    pthread_mutex_lock(&s.lock);
    s.released = true;
    pthread_cond_broadcast(&s.cond);
    while (s.n < 5)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    for (long i = 0; i < 5; i++)
        assert_int_equal(s.seen[i], i);
    ls_notify_free(n);
    assert_int_equal(s.n, 5);
}

/* Waits (bounded) until the stats satisfy pred. */
static void
wait_stats(struct ls_notify *n, struct ls_notify_stats *st, uint64_t delivered, uint64_t failed)
{
    for (int i = 0; i < 3000; i++) {
        ls_notify_stats(n, st);
        if (st->delivered >= delivered && st->failed >= failed)
            return;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void test_webhook_retries_5xx_and_signs_the_body(void **state)
{
    (void)state;
    const int statuses[] = {503, 500, 200};
    char url[64];
    struct ls_hook_server *h = ls_hook_server_start(statuses, 3, url);
    assert_non_null(h);
    const char *hooks[] = {url};
    struct ls_notify_opts o = {
        .webhooks = hooks, .n_webhooks = 1, .secret = "s3cret", .backoff_ms = 10};
    struct ls_notify *n = ls_notify_new(&o, NULL);
    publish_i(n, "colour", 7);
    assert_int_equal(ls_hook_server_wait(h, 3, 60), 3);
    struct ls_notify_stats st;
    wait_stats(n, &st, 1, 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.retried, 2);
    assert_int_equal(st.failed, 0);
    const struct ls_hook_request *r = ls_hook_server_request(h, 2);
    json_t *body = json_loads(r->body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "event")), "colour");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(body, "data"), "i")), 7);
    assert_non_null(json_string_value(json_object_get(body, "time")));
    json_decref(body);
    char sig[72];
    ls_notify_sign(sig, "s3cret", r->body, strlen(r->body));
    assert_string_equal(r->signature, sig);
    /* every try carries the same body */
    assert_string_equal(ls_hook_server_request(h, 0)->body, r->body);
    ls_notify_free(n);
    ls_hook_server_stop(h);
}

static void test_webhook_gives_up_on_4xx_at_once_and_after_the_last_try_on_5xx(void **state)
{
    (void)state;
    const int s400[] = {400}, s500[] = {500};
    char u1[64], u2[64];
    struct ls_hook_server *h1 = ls_hook_server_start(s400, 1, u1);
    struct ls_hook_server *h2 = ls_hook_server_start(s500, 1, u2);
    assert_non_null(h1);
    assert_non_null(h2);
    const char *hooks[] = {u1, u2};
    struct ls_notify_opts o = {
        .webhooks = hooks, .n_webhooks = 2, .max_attempts = 3, .backoff_ms = 5};
    struct ls_notify *n = ls_notify_new(&o, NULL);
    publish_i(n, "incident", 1);
    struct ls_notify_stats st;
    wait_stats(n, &st, 0, 2);
    assert_int_equal(st.failed, 2);
    assert_int_equal(st.retried, 2); /* only the 5xx one: tries 2 and 3 */
    assert_int_equal(st.delivered, 0);
    assert_int_equal(ls_hook_server_wait(h1, 1, 5), 1);
    assert_int_equal(ls_hook_server_wait(h2, 3, 5), 3);
    assert_string_equal(ls_hook_server_request(h1, 0)->signature, ""); /* no secret */
    ls_notify_free(n);
    ls_hook_server_stop(h1);
    ls_hook_server_stop(h2);
}

static void test_event_names_are_a_closed_list(void **state)
{
    (void)state;
    assert_true(ls_notify_known("colour"));
    assert_true(ls_notify_known("incident"));
    assert_false(ls_notify_known("color"));
    assert_false(ls_notify_known(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_matches_rfc4231_case_2),
        cmocka_unit_test(test_backoff_doubles_up_to_the_cap),
        cmocka_unit_test(test_full_subscriber_queue_drops_and_counts_keeping_order),
        cmocka_unit_test(test_webhook_retries_5xx_and_signs_the_body),
        cmocka_unit_test(test_webhook_gives_up_on_4xx_at_once_and_after_the_last_try_on_5xx),
        cmocka_unit_test(test_event_names_are_a_closed_list),
    };
    return cmocka_run_group_tests_name("server/notify", tests, NULL, NULL);
}
