/* A loopback webhook receiver (hook_server.h): blocking sockets, one connection at a time. */
#include "hook_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct ls_hook_server {
    int fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int statuses[16];
    size_t n_statuses;
    struct ls_hook_request req[LS_HOOK_MAX_REQUESTS];
    size_t n;
};

/* The value of header `name` in the head (case-insensitive), copied into out. */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = head; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t len = e ? (size_t)(e - v) : strlen(v);
            snprintf(out, cap, "%.*s", (int)len, v);
            return;
        }
    }
}

static void serve(struct ls_hook_server *h, int c)
{
    char *buf = malloc(1 << 20);
    size_t len = 0;
    char *end = NULL;
    while (len < (1 << 20) - 1 && !end) {
        ssize_t k = read(c, buf + len, (1 << 20) - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) {
        free(buf);
        return;
    }
    *end = '\0';
    char cl[32];
    header(buf, "Content-Length", cl, sizeof(cl));
    size_t want = (size_t)strtoul(cl, NULL, 10), have = len - (size_t)(end + 4 - buf);
    while (have < want && len < (1 << 20) - 1) {
        ssize_t k = read(c, buf + len, (1 << 20) - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        have += (size_t)k;
    }
    pthread_mutex_lock(&h->lock);
    int status = h->statuses[h->n < h->n_statuses ? h->n : h->n_statuses - 1];
    if (h->n < LS_HOOK_MAX_REQUESTS) {
        struct ls_hook_request *r = &h->req[h->n];
        r->body = calloc(1, want + 1);
        memcpy(r->body, end + 4, have < want ? have : want);
        header(buf, "X-Landscape-Signature", r->signature, sizeof(r->signature));
        h->n++;
        pthread_cond_broadcast(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
    char resp[128];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", status);
    if (write(c, resp, (size_t)n) < 0)
        perror("hook_server write");
    free(buf);
}

static void *loop(void *arg)
{
    struct ls_hook_server *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        bool stop = h->stop;
        pthread_mutex_unlock(&h->lock);
        if (stop)
            break;
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(h->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve(h, c);
        close(c);
    }
    return NULL;
}

struct ls_hook_server *ls_hook_server_start(const int *statuses, size_t n, char url[64])
{
    struct ls_hook_server *h = calloc(1, sizeof(*h));
    h->n_statuses = n < 16 ? n : 16;
    memcpy(h->statuses, statuses, h->n_statuses * sizeof(int));
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(h->fd, 16) ||
        getsockname(h->fd, (struct sockaddr *)&a, &al) != 0) {
        perror("hook_server");
        if (h->fd >= 0)
            close(h->fd);
        free(h);
        return NULL;
    }
    snprintf(url, 64, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    pthread_create(&h->thread, NULL, loop, h);
    return h;
}

void ls_hook_server_stop(struct ls_hook_server *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    close(h->fd);
    for (size_t i = 0; i < h->n; i++)
        free(h->req[i].body);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}

size_t ls_hook_server_wait(struct ls_hook_server *h, size_t n, int timeout_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_s;
    pthread_mutex_lock(&h->lock);
    while (h->n < n && pthread_cond_timedwait(&h->cond, &h->lock, &ts) == 0)
        ;
    size_t got = h->n;
    pthread_mutex_unlock(&h->lock);
    return got;
}

const struct ls_hook_request *ls_hook_server_request(struct ls_hook_server *h, size_t i)
{
    return &h->req[i];
}
