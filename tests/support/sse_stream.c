/* A server-sent event stream read on a thread (sse_stream.h). */
#include "tests/support/sse_stream.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct ls_sse_stream *s = arg;
    size_t k = size * n;
    pthread_mutex_lock(&s->lock);
    if (s->len + k < sizeof(s->data) - 1) {
        memcpy(s->data + s->len, p, k);
        s->len += k;
        s->data[s->len] = '\0';
    }
    pthread_mutex_unlock(&s->lock);
    return k;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return ((struct ls_sse_stream *)arg)->stop ? 1 : 0;
}

static void *run(void *arg)
{
    struct ls_sse_stream *s = arg;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return NULL;
}

void ls_sse_stream_start(struct ls_sse_stream *s, const char *url)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->url, sizeof s->url, "%s", url);
    pthread_create(&s->thread, NULL, run, s);
}

bool ls_sse_stream_has(struct ls_sse_stream *s, const char *needle)
{
    pthread_mutex_lock(&s->lock);
    bool has = strstr(s->data, needle) != NULL;
    pthread_mutex_unlock(&s->lock);
    return has;
}

bool ls_sse_stream_wait(struct ls_sse_stream *s, const char *needle, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 25; i++) {
        if (ls_sse_stream_has(s, needle))
            return true;
        nanosleep(&(struct timespec){0, 25 * 1000000L}, NULL);
    }
    return ls_sse_stream_has(s, needle);
}

void ls_sse_stream_stop(struct ls_sse_stream *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
}
