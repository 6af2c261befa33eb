/* Test support: reads a server-sent event stream (GET url) on a thread of its own into a
 * bounded buffer (64 KiB; more is dropped) that the test searches while it grows. */
#ifndef LS_TESTS_SSE_STREAM_H
#define LS_TESTS_SSE_STREAM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct ls_sse_stream {
    char url[256];
    pthread_mutex_t lock; /* data and len: the reading thread appends, the test looks */
    char data[65536];
    size_t len;
    _Atomic int stop;
    pthread_t thread;
};

/** Starts reading url (at most 30 s). s is the caller's and must stay put until stop. */
void ls_sse_stream_start(struct ls_sse_stream *s, const char *url);
/** Whether the stream so far holds needle (while its thread may still append). */
bool ls_sse_stream_has(struct ls_sse_stream *s, const char *needle);
/** Waits up to timeout_ms for needle; returns whether it came. */
bool ls_sse_stream_wait(struct ls_sse_stream *s, const char *needle, int timeout_ms);
/** Ends the request and joins its thread; s->data stays readable. */
void ls_sse_stream_stop(struct ls_sse_stream *s);

#endif
