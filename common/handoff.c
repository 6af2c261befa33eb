/* One-job-at-a-time helper thread (see handoff.h). */
#include "common/handoff.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/err.h"

struct ls_handoff {
    void (*job)(void *arg);
    void *arg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool threaded, busy, done;
};

static void *handoff_main(void *p)
{
    struct ls_handoff *h = p;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->busy && !h->done)
            pthread_cond_wait(&h->cond, &h->lock);
        if (!h->busy)
            break;
        pthread_mutex_unlock(&h->lock);
        h->job(h->arg);
        pthread_mutex_lock(&h->lock);
        h->busy = false;
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

struct ls_handoff *ls_handoff_start(void (*job)(void *arg), void *arg)
{
    struct ls_handoff *h = ls_xcalloc(1, sizeof(*h));
    h->job = job;
    h->arg = arg;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->threaded = pthread_create(&h->thread, NULL, handoff_main, h) == 0;
    return h;
}

void ls_handoff_wait(struct ls_handoff *h)
{
    pthread_mutex_lock(&h->lock);
    while (h->busy)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

void ls_handoff_give(struct ls_handoff *h)
{
    if (!h->threaded) {
        h->job(h->arg);
        return;
    }
    pthread_mutex_lock(&h->lock);
    h->busy = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

void ls_handoff_stop(struct ls_handoff *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    while (h->busy)
        pthread_cond_wait(&h->cond, &h->lock);
    h->done = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    if (h->threaded)
        pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}
