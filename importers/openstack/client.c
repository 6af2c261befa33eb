/* ls_client_request: one libcurl easy handle per request (the client programs send one
 * request every few seconds at most, so no handle is kept). */
#include "importers/openstack/client.h"

#include <string.h>

#include <curl/curl.h>

void ls_client_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ls_client_global_cleanup(void)
{
    curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    /* 0 stops the transfer: CURLE_WRITE_ERROR, reported as answer_too_large */
    return ls_buf_append(arg, p, size * n) == LS_OK ? size * n : 0;
}

int ls_client_request(const struct ls_client_opts *o,
                      const char *method,
                      const char *url,
                      const char *content_type,
                      const char *body,
                      size_t body_len,
                      long *status,
                      struct ls_buf *resp,
                      struct ls_err *err)
{
    *status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char line[4200];
    if (content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (o->token && *o->token) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", o->token);
        hdrs = curl_slist_append(hdrs, line);
        memset(line, 0, sizeof(line));
    }
    if (o->header && *o->header)
        hdrs = curl_slist_append(hdrs, o->header);
    if (c == NULL ||
        ((content_type || (o->token && *o->token) || (o->header && *o->header)) && hdrs == NULL))
        ls_oom(0);
    if (o->cacert && *o->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    int rc = LS_OK;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        rc = ls_err_set(err, LS_ETIMEOUT, "timeout", "%s %s: timed out", method, url);
    else if (cc == CURLE_WRITE_ERROR)
        rc = ls_err_set(err, LS_ELIMIT, "answer_too_large", "%s %s: the answer passed %zu bytes",
                        method, url, resp->max);
    else
        rc = ls_err_set(err, LS_EUNAVAIL, "unreachable", "%s %s: %s", method, url,
                        curl_easy_strerror(cc));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}
