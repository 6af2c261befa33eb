/* A loopback TCP proxy to a Postgres unix socket that cuts or stalls connections on demand. */
#include "tests/support/pg_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PAIRS  64
#define PROTOCOL_3 196608 /* the startup message's version: typed messages follow */

struct stream { /* one direction's bytes not yet forwarded (framing needs whole messages) */
    unsigned char *data;
    size_t len, cap;
};

struct pair {
    int cfd, sfd; /* client and server sockets; -1 when closed */
    bool typed;   /* the client's startup message went: typed messages from now */
    bool commit;  /* a Parse of COMMIT went: cut after the Sync that follows */
    bool cutting; /* COMMIT forwarded: drop the server's answer up to ReadyForQuery */
    bool hold;    /* then keep the connection open and silent instead of closing it */
    bool held;    /* answered and held: nothing more is read from either side */
    struct stream c2s, s2c;
};

struct ls_pg_proxy {
    int lfd, port;
    char sock[108]; /* sun_path */
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop, armed, arm_hold, partition;
    int cuts;
    struct pair pairs[MAX_PAIRS];
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void stream_add(struct stream *s, const unsigned char *p, size_t n)
{
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->data = realloc(s->data, s->cap);
        if (s->data == NULL)
            abort();
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
}

static void stream_drop(struct stream *s, size_t n)
{
    memmove(s->data, s->data + n, s->len - n);
    s->len -= n;
}

static bool send_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void pair_close(struct pair *pr)
{
    if (pr->cfd >= 0)
        close(pr->cfd);
    if (pr->sfd >= 0)
        close(pr->sfd);
    free(pr->c2s.data);
    free(pr->s2c.data);
    memset(pr, 0, sizeof(*pr));
    pr->cfd = pr->sfd = -1;
}

/* Whether a Parse ('P': name, query) or Query ('Q': query) message's text is COMMIT. */
static bool is_commit(unsigned char type, const unsigned char *body, size_t n)
{
    const char *q = (const char *)body;
    if (type == 'P') {
        size_t name = strnlen(q, n);
        if (name == n)
            return false;
        q += name + 1;
        n -= name + 1;
    } else if (type != 'Q') {
        return false;
    }
    return strnlen(q, n) == 6 && strncasecmp(q, "COMMIT", 6) == 0;
}

/* Forwards the client's whole messages; notes a COMMIT when a cut is armed. false: closed. */
static bool forward_client(struct ls_pg_proxy *p, struct pair *pr)
{
    struct stream *s = &pr->c2s;
    for (;;) {
        size_t head = pr->typed ? 5 : 4;
        if (s->len < head)
            return true;
        uint32_t len = be32(s->data + head - 4);
        size_t total = pr->typed ? 1 + (size_t)len : len;
        if (s->len < total)
            return true;
        unsigned char type = pr->typed ? s->data[0] : 0;
        if (!pr->typed && len >= 8 && be32(s->data + 4) == PROTOCOL_3)
            pr->typed = true;
        else if (pr->typed && p->armed && is_commit(type, s->data + 5, total - 5))
            pr->commit = true;
        if (!send_all(pr->sfd, s->data, total))
            return false;
        stream_drop(s, total);
        if (pr->commit && (type == 'S' || type == 'Q')) {
            pr->commit = false;
            pr->cutting = true; /* nothing more from the client: its COMMIT's answer is lost */
            pr->hold = p->arm_hold;
            p->armed = false;
            return true;
        }
    }
}

/* While cutting: reads the server's answer to the COMMIT; true once its ReadyForQuery came. */
static bool commit_answered(struct pair *pr)
{
    struct stream *s = &pr->s2c;
    while (s->len >= 5) {
        size_t total = 1 + (size_t)be32(s->data + 1);
        if (s->len < total)
            return false;
        unsigned char type = s->data[0];
        stream_drop(s, total);
        if (type == 'Z')
            return true;
    }
    return false;
}

static int connect_server(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void accept_one(struct ls_pg_proxy *p)
{
    int cfd = accept(p->lfd, NULL, NULL);
    if (cfd < 0)
        return;
    int sfd = connect_server(p->sock);
    for (int i = 0; i < MAX_PAIRS && sfd >= 0; i++)
        if (p->pairs[i].cfd < 0) {
            p->pairs[i].cfd = cfd;
            p->pairs[i].sfd = sfd;
            return;
        }
    close(cfd);
    if (sfd >= 0)
        close(sfd);
}

/* One read from fd; false when it closed or failed. */
static bool read_into(int fd, struct stream *s)
{
    unsigned char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
        return false;
    stream_add(s, buf, (size_t)n);
    return true;
}

static void pump(struct ls_pg_proxy *p, struct pair *pr, short crev, short srev)
{
    bool ok = true;
    if (pr->cutting) {
        if (srev && (!read_into(pr->sfd, &pr->s2c) || commit_answered(pr))) {
            p->cuts++;
            if (pr->hold) {
                pr->cutting = false;
                pr->held = true;
            } else {
                pair_close(pr);
            }
        }
        return;
    }
    if (crev)
        ok = read_into(pr->cfd, &pr->c2s) && forward_client(p, pr);
    if (ok && srev && read_into(pr->sfd, &pr->s2c)) {
        ok = send_all(pr->cfd, pr->s2c.data, pr->s2c.len);
        pr->s2c.len = 0;
    } else if (srev) {
        ok = false;
    }
    if (!ok)
        pair_close(pr);
}

static void *run(void *arg)
{
    struct ls_pg_proxy *p = arg;
    for (;;) {
        struct pollfd fds[1 + 2 * MAX_PAIRS];
        int n = 0;
        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        fds[n++] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
        bool partition = p->partition;
        for (int i = 0; i < MAX_PAIRS; i++) {
            struct pair *pr = &p->pairs[i];
            bool on = pr->cfd >= 0 && !partition && !pr->held;
            fds[n++] = (struct pollfd){.fd = on && !pr->cutting ? pr->cfd : -1, .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = on ? pr->sfd : -1, .events = POLLIN};
        }
        pthread_mutex_unlock(&p->lock);
        if (poll(fds, (nfds_t)n, 20) <= 0)
            continue;
        pthread_mutex_lock(&p->lock);
        if (fds[0].revents)
            accept_one(p);
        for (int i = 0; i < MAX_PAIRS; i++) {
            short crev = fds[1 + 2 * i].revents, srev = fds[2 + 2 * i].revents;
            if (p->pairs[i].cfd >= 0 && (crev || srev))
                pump(p, &p->pairs[i], crev, srev);
        }
        pthread_mutex_unlock(&p->lock);
    }
}

/* The value of key in a key=value DSN (unquoted values only, as the harness writes them). */
static bool dsn_value(const char *dsn, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);
    for (const char *s = dsn; (s = strstr(s, key)) != NULL; s += k)
        if ((s == dsn || s[-1] == ' ') && s[k] == '=') {
            snprintf(out, cap, "%.*s", (int)strcspn(s + k + 1, " "), s + k + 1);
            return true;
        }
    return false;
}

struct ls_pg_proxy *ls_pg_proxy_start(const char *dsn)
{
    char host[90], port[8];
    if (!dsn_value(dsn, "host", host, sizeof(host)) || host[0] != '/' ||
        !dsn_value(dsn, "port", port, sizeof(port))) {
        fprintf(stderr, "pg_proxy: no unix socket host and port in the DSN\n");
        return NULL;
    }
    struct ls_pg_proxy *p = calloc(1, sizeof(*p));
    snprintf(p->sock, sizeof(p->sock), "%s/.s.PGSQL.%s", host, port);
    for (int i = 0; i < MAX_PAIRS; i++)
        p->pairs[i].cfd = p->pairs[i].sfd = -1;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(p->lfd, 16) != 0 || getsockname(p->lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("pg_proxy: listen");
        if (p->lfd >= 0)
            close(p->lfd);
        free(p);
        return NULL;
    }
    p->port = ntohs(a.sin_port);
    pthread_mutex_init(&p->lock, NULL);
    if (pthread_create(&p->thread, NULL, run, p) != 0)
        abort();
    return p;
}

char *ls_pg_proxy_dsn(const struct ls_pg_proxy *p, const char *dsn)
{
    char user[100] = "", db[100] = "", out[400];
    dsn_value(dsn, "user", user, sizeof(user));
    dsn_value(dsn, "dbname", db, sizeof(db));
    snprintf(out, sizeof(out),
             "host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable gssencmode=disable", p->port,
             user, db);
    return strdup(out);
}

void ls_pg_proxy_cut_after_commit(struct ls_pg_proxy *p, bool hold)
{
    pthread_mutex_lock(&p->lock);
    p->armed = true;
    p->arm_hold = hold;
    pthread_mutex_unlock(&p->lock);
}

int ls_pg_proxy_cuts(struct ls_pg_proxy *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->cuts;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void ls_pg_proxy_partition(struct ls_pg_proxy *p, bool on)
{
    pthread_mutex_lock(&p->lock);
    p->partition = on;
    pthread_mutex_unlock(&p->lock);
}

void ls_pg_proxy_stop(struct ls_pg_proxy *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < MAX_PAIRS; i++)
        if (p->pairs[i].cfd >= 0)
            pair_close(&p->pairs[i]);
    close(p->lfd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
