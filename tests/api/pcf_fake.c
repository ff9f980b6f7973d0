#include "api/pcf_fake.h"

#include <check.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void script_path(char *out, size_t n)
{
    const char *src = getenv("top_srcdir");
    snprintf(out, n, "%s/tests/fakepcf/fake_pcf.py", src ? src : ".");
}

bool pcf_fake_available(void)
{
    char path[1024];
    script_path(path, sizeof(path));
    return access(path, R_OK) == 0 && system("python3 -c '' >/dev/null 2>&1") == 0;
}

void pcf_fake_start(pcf_fake *f, const char *const *args, bool https)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/pcf-fake-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    char port_file[300], log_file[300], script[1024];
    snprintf(port_file, sizeof(port_file), "%s/port", f->dir);
    snprintf(log_file, sizeof(log_file), "%s/stderr", f->dir);
    script_path(script, sizeof(script));
    const char *argv[32] = { "python3", script, "--port", "0", "--port-file", port_file };
    int argc = 6;
    for (int i = 0; args && args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    f->pid = fork();
    ck_assert_int_ge(f->pid, 0);
    if (f->pid == 0) {
        int fd = open(log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 1000; i++) {
        FILE *pf = fopen(port_file, "r");
        if (pf) {
            int ok = fscanf(pf, "%d", &f->port);
            fclose(pf);
            if (ok == 1 && f->port > 0)
                break;
        }
        int st;
        ck_assert_msg(waitpid(f->pid, &st, WNOHANG) == 0, "the fake PCF exited (see %s)",
                      log_file);
        struct timespec ts = { 0, 10 * 1000000L };
        nanosleep(&ts, NULL);
    }
    ck_assert_int_gt(f->port, 0);
    snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", https ? "https" : "http", f->port);
}

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    char *nb = realloc(*buf, old + s * n + 1);
    if (!nb)
        return 0;
    memcpy(nb + old, p, s * n);
    nb[old + s * n] = '\0';
    *buf = nb;
    return s * n;
}

char *pcf_fake_control(const pcf_fake *f, const char *method, const char *path,
                       const char *body)
{
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    char url[512];
    snprintf(url, sizeof(url), "%s%s", f->url, path);
    char *out = NULL;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "{}");
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    ck_assert_msg(cc == CURLE_OK, "control %s %s: %s", method, path, curl_easy_strerror(cc));
    return out ? out : strdup("");
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
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        int st;
        for (int i = 0; i < 300; i++) {
            if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
                f->pid = 0;
                break;
            }
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (f->pid > 0) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &st, 0);
        }
    }
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (f->dir[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    f->pid = 0;
}
