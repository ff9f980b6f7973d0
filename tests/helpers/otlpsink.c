#include "helpers/otlpsink.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct otlpsink {
    struct MHD_Daemon *d;
    unsigned status;
    char url[64];
    pthread_mutex_t lock;
    cJSON *spans;
    int requests;
};

typedef struct {
    char *data;
    size_t len;
} upload;

static void keep_spans(otlpsink *s, const char *body, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    if (!doc)
        return;
    const cJSON *rs;
    cJSON_ArrayForEach(rs, cJSON_GetObjectItem(doc, "resourceSpans"))
    {
        const char *service = NULL;
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(cJSON_GetObjectItem(rs, "resource"), "attributes"))
        {
            const cJSON *k = cJSON_GetObjectItem(a, "key");
            if (cJSON_IsString(k) && strcmp(k->valuestring, "service.name") == 0)
                service = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "value"), "stringValue")
                              ->valuestring;
        }
        const cJSON *ss;
        cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
        {
            const cJSON *sp;
            cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans"))
            {
                cJSON *copy = cJSON_Duplicate(sp, 1);
                cJSON_AddStringToObject(copy, "_service", service ? service : "");
                cJSON_AddItemToArray(s->spans, copy);
            }
        }
    }
    cJSON_Delete(doc);
}

static mhd_result handle(void *cls, struct MHD_Connection *c, const char *url,
                         const char *method, const char *version, const char *data,
                         size_t *data_size, void **con_cls)
{
    (void)version;
    otlpsink *s = cls;
    upload *u = *con_cls;
    if (!u) {
        u = calloc(1, sizeof(*u));
        *con_cls = u;
        return MHD_YES;
    }
    if (*data_size) {
        char *n = realloc(u->data, u->len + *data_size + 1);
        if (!n)
            return MHD_NO;
        u->data = n;
        memcpy(u->data + u->len, data, *data_size);
        u->len += *data_size;
        u->data[u->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    unsigned status = 404;
    if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/traces") == 0) {
        pthread_mutex_lock(&s->lock);
        s->requests++;
        status = s->status;
        if (status == 200 && u->data)
            keep_spans(s, u->data, u->len);
        pthread_mutex_unlock(&s->lock);
    }
    static const char body[] = "{}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    mhd_result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->data);
        free(u);
    }
    *con_cls = NULL;
}

otlpsink *otlpsink_start(unsigned status)
{
    otlpsink *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->status = status;
    s->spans = cJSON_CreateArray();
    pthread_mutex_init(&s->lock, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    if (!s->d) {
        cJSON_Delete(s->spans);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", info ? info->port : 0);
    return s;
}

const char *otlpsink_url(const otlpsink *s)
{
    return s->url;
}

int otlpsink_requests(otlpsink *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int otlpsink_span_count(otlpsink *s)
{
    pthread_mutex_lock(&s->lock);
    int n = cJSON_GetArraySize(s->spans);
    pthread_mutex_unlock(&s->lock);
    return n;
}

cJSON *otlpsink_spans(otlpsink *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *c = cJSON_Duplicate(s->spans, 1);
    pthread_mutex_unlock(&s->lock);
    return c;
}

const cJSON *otlpsink_find(const cJSON *spans, const char *name)
{
    const cJSON *sp;
    cJSON_ArrayForEach(sp, spans)
    {
        const cJSON *n = cJSON_GetObjectItem(sp, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return sp;
    }
    return NULL;
}

void otlpsink_stop(otlpsink *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    cJSON_Delete(s->spans);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
