#include "api/pcf_fake.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool pcf_fake_available(void)
{
    char path[1024];
    const char *src = getenv("top_srcdir");
    snprintf(path, sizeof(path), "%s/tests/fakepcf/fake_pcf.py", src ? src : PCFMCP_TEST_SRCDIR);
    return access(path, R_OK) == 0 && system("python3 -c '' >/dev/null 2>&1") == 0;
}

void pcf_fake_start(pcf_fake *f, const char *const *args, bool https)
{
    memset(f, 0, sizeof(*f));
    ck_assert_msg(fakepcf_start(&f->h, args) == 0, "the fake PCF did not start");
    snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", https ? "https" : "http",
             fakepcf_port(f->h));
}

char *pcf_fake_control(const pcf_fake *f, const char *method, const char *path,
                       const char *body)
{
    char *resp = NULL;
    bool post = strcmp(method, "POST") == 0;
    int st = fakepcf_control(f->h, path, post ? (body ? body : "{}") : NULL, &resp);
    ck_assert_msg(st >= 200 && st < 300, "control %s %s: status %d", method, path, st);
    return resp ? resp : strdup("");
}

int pcf_fake_path_count(const pcf_fake *f, const char *path)
{
    char *s = pcf_fake_control(f, "GET", "/__fake__/stats", NULL);
    cJSON *doc = cJSON_Parse(s);
    free(s);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "paths"), path);
    int n = cJSON_IsNumber(v) ? v->valueint : 0;
    cJSON_Delete(doc);
    return n;
}

void pcf_fake_stop(pcf_fake *f)
{
    fakepcf_stop(f->h);
    f->h = NULL;
}
