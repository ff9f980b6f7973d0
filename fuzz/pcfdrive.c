#include "core/internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <pcfmcp/pcf.h>
#include <pcfmcp/pcfmcp.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"
#include "pcfdrive.h"
#include "helpers/scriptpeer.h"

#define TOKEN "ee8358e3-118d-453e-889c-169871af82e2"
#define MAX_ANSWERS 48

/* Path ids: the project of the captured fixtures, then one UUID per name. */
static const struct {
    const char *name, *uuid;
} ids[] = {
    { "project_id", "ed881b71-614c-45d5-a36d-76bdd0e4afcf" },
    { "host_id", "89a273fe-9d0b-4cc8-a721-ec68aa2903df" },
    { "port_id", "3c0d7d6b-5a2e-4f0e-8d16-0c9e4a3f2b11" },
    { "network_id", "5b7e3c2a-1d4f-4e6a-9b8c-7d6e5f4a3b22" },
    { "issue_id", "6c8f4d3b-2e5a-4f7b-8c9d-0e1f2a3b4c33" },
    { "poc_id", "7d9a5e4c-3f6b-4a8c-9d0e-1f2a3b4c5d44" },
    { "team_id", "8eab6f5d-4a7c-4b9d-8e1f-2a3b4c5d6e55" },
    { "user_id", "9fbc7a6e-5b8d-4cae-9f2a-3b4c5d6e7f66" },
    { "credential_id", "0f3e768a-6750-4d93-8645-d8471cc54994" },
    { "note_id", "974bb475-1abe-41e5-9ef5-6d46a1ba51f6" },
};

/* Members an operation needs to get as far as sending anything. */
static const struct {
    const char *label, *json;
} extras[] = {
    { "token_create", "{\"email\":\"pcf-tester@example.com\",\"password\":\"pw\",\"name\":\"fuzz\"}" },
    { "team_user_add", "{\"email\":\"pcf-second@example.com\"}" },
    { "team_user_set_admin", "{\"user_id\":\"9fbc7a6e-5b8d-4cae-9f2a-3b4c5d6e7f66\"}" },
    { "team_user_devote", "{\"user_id\":\"9fbc7a6e-5b8d-4cae-9f2a-3b4c5d6e7f66\"}" },
    { "team_user_delete", "{\"user_id\":\"9fbc7a6e-5b8d-4cae-9f2a-3b4c5d6e7f66\"}" },
    { "project_create", "{\"name\":\"fuzz\"}" },
    { "host_create", "{\"ip\":\"10.0.0.5\"}" },
    { "port_create", "{\"host_id\":\"89a273fe-9d0b-4cc8-a721-ec68aa2903df\",\"port\":443}" },
    { "hostname_add",
      "{\"host_id\":\"89a273fe-9d0b-4cc8-a721-ec68aa2903df\",\"hostname\":\"www.example.com\"}" },
    { "network_create", "{\"ip\":\"10.0.0.0\",\"mask\":24}" },
    { "issue_create", "{\"name\":\"XSS\"}" },
    { "rules_use", "{\"rule_ids\":[\"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c77\"],"
                   "\"issue_ids\":[\"6c8f4d3b-2e5a-4f7b-8c9d-0e1f2a3b4c33\"]}" },
    { "poc_add", "{\"content\":\"proof\",\"filename\":\"poc.txt\"}" },
    { "credential_create", "{\"login\":\"admin\"}" },
    { "note_create", "{\"name\":\"fuzz\"}" },
    { "note_update", "{\"text\":\"text\"}" },
    { "note_rename", "{\"name\":\"fuzz\"}" },
    { "nmap_import", "{\"xml\":\"<nmaprun></nmaprun>\"}" },
    { "report_render", "{\"template_id\":\"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d88\"}" },
    { "issues_bulk_edit", "{\"issue_ids\":[\"6c8f4d3b-2e5a-4f7b-8c9d-0e1f2a3b4c33\"],\"status\":\"fixed\"}" },
    { "issues_merge", "{\"issue_ids\":[\"6c8f4d3b-2e5a-4f7b-8c9d-0e1f2a3b4c33\","
                      "\"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c77\"]}" },
    { "issues_bulk_delete", "{\"issue_ids\":[\"6c8f4d3b-2e5a-4f7b-8c9d-0e1f2a3b4c33\"]}" },
    { "service_add", "{\"host_ids\":[\"89a273fe-9d0b-4cc8-a721-ec68aa2903df\"],\"port\":443}" },
    { "service_update", "{\"port\":443}" },
    { "path_add", "{\"from_type\":\"host\",\"to_type\":\"network\","
                  "\"from_id\":\"89a273fe-9d0b-4cc8-a721-ec68aa2903df\","
                  "\"to_id\":\"5b7e3c2a-1d4f-4e6a-9b8c-7d6e5f4a3b22\"}" },
    { "credentials_export", "{\"export_type\":\"user_pass\"}" },
    { "credentials_import", "{\"login_column\":1,\"content\":\"admin;secret\"}" },
    { "hosts_import", "{\"hosts\":[{\"ip\":\"10.0.0.7\",\"hostname\":\"a.example\"}]}" },
};

static pcfmcp_pcf_t *parent[2];

static void die(const char *what)
{
    fprintf(stderr, "pcfdrive: %s\n", what);
    abort();
}

static void setup(void)
{
    if (pcfmcp_global_init() != PCFMCP_OK)
        die("global init");
    /* The peer listens on an abstract Unix socket: the URL names the site
     * only. Several times the requests per second of loopback TCP. */
    const char *sock = peer_start_unix();
    for (int web = 0; web < 2; web++) {
        pcfmcp_pcf_t *p = NULL;
        /* One attempt (retries wait), short limits: a stall is a finding. */
        if (pcfmcp_pcf_new(&p, "http://127.0.0.1:5000", NULL) != PCFMCP_OK ||
            pcfmcp__pcf_set_abstract_socket(p, sock) != PCFMCP_OK ||
            pcfmcp_pcf_set_timeouts(p, 2000, 5000, 10000) != PCFMCP_OK ||
            pcfmcp_pcf_set_retry(p, 1, 1, 1) != PCFMCP_OK ||
            pcfmcp_pcf_set_max_body(p, 1 << 20) != PCFMCP_OK)
            die("client");
        if (web ? pcfmcp_pcf_set_channel(p, "issues_write", "ui") != PCFMCP_OK ||
                      pcfmcp_pcf_set_channel(p, "issues_delete", "ui") != PCFMCP_OK ||
                      pcfmcp_pcf_set_channel(p, "pocs", "ui") != PCFMCP_OK
                : pcfmcp_pcf_set_allow_api_issue_writes(p, 1) != PCFMCP_OK)
            die("channels");
        parent[web] = p;
    }
}

static pcfmcp__pcf_op pick(const char *label, size_t n, const pcfmcp__pcf_op *ops, size_t nops)
{
    for (size_t i = 0; i < nops; i++) {
        const char *l = pcfmcp__pcf_op_label(ops[i]);
        if (strlen(l) == n && memcmp(l, label, n) == 0)
            return ops[i];
    }
    uint32_t h = 2166136261u; /* FNV-1a: any other label still picks one */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)label[i]) * 16777619u;
    return ops[h % nops];
}

/* Every id the operation's route or web form names, then its extras. */
static cJSON *defaults(pcfmcp__pcf_op op)
{
    const pcf_op_desc *d = &pcfmcp__pcf_ops[op];
    cJSON *a = cJSON_CreateObject();
    if (!a)
        return NULL;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char brace[40];
        snprintf(brace, sizeof(brace), "{%s}", ids[i].name);
        if ((d->path && strstr(d->path, brace)) || (d->ids && strstr(d->ids, ids[i].name)))
            cJSON_AddStringToObject(a, ids[i].name, ids[i].uuid);
    }
    /* Any other id or required member: a UUID for "..._id", else a string,
     * so the call gets as far as PCF (the input's arguments give it another
     * value or type). */
    const char *lists[] = { d->ids, d->required };
    for (size_t l = 0; l < 2; l++) {
        for (const char *r = lists[l]; r && *r;) {
            size_t n = strcspn(r, " ");
            char name[48];
            snprintf(name, sizeof(name), "%.*s", (int)n, r);
            bool id = n > 3 && strcmp(name + strlen(name) - 3, "_id") == 0;
            if (n && !cJSON_GetObjectItemCaseSensitive(a, name))
                cJSON_AddStringToObject(a, name, id ? "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d99" : "fuzz");
            r += n;
            r += strspn(r, " ");
        }
    }
    for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
        if (strcmp(extras[i].label, d->label) != 0)
            continue;
        cJSON *x = cJSON_Parse(extras[i].json);
        if (!x)
            die("extras");
        cJSON *m;
        cJSON_ArrayForEach(m, x) {
            cJSON_DeleteItemFromObjectCaseSensitive(a, m->string);
            cJSON_AddItemToObject(a, m->string, cJSON_Duplicate(m, true));
        }
        cJSON_Delete(x);
    }
    return a;
}

static void check_text(const char *s, bool controls_ok)
{
    if (!s)
        return;
    size_t n = strlen(s);
    if (!pcfmcp__utf8_valid(s, n, NULL))
        die("result text is not UTF-8");
    for (size_t i = 0; !controls_ok && i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            fprintf(stderr, "pcfdrive: in \"%s\"\n", s);
            die("control character in a result message");
        }
}

static void check_result(pcfmcp_error_t rc, pcfmcp_pcf_result_t *res)
{
    if (!res || pcfmcp_pcf_result_error(res) != rc)
        die("result does not match the return value");
    const char *msg = pcfmcp_pcf_result_message(res);
    if (!msg || !msg[0])
        die("result without a message");
    check_text(msg, false);
    size_t len = 0;
    const char *json = pcfmcp_pcf_result_json(res, &len);
    if (json) {
        cJSON *doc = NULL;
        pcfmcp__json_status st = pcfmcp__json_parse(json, len, PCF_JSON_DEPTH, &doc, NULL);
        /* The text is PCF's as sent, and PCF's documents are not searched
         * for a name given twice (core/json.h): that alone is no finding.
         * The strict parser looks for duplicates last, so everything else
         * (UTF-8, U+0000, syntax) has held by then. */
        if (st == PCFMCP__JSON_DUPLICATE)
            st = pcfmcp__json_parse_marking_nul(json, len, PCF_JSON_DEPTH, &doc, NULL);
        if (strlen(json) != len || st != PCFMCP__JSON_OK || !cJSON_IsObject(doc)) {
            fprintf(stderr, "pcfdrive: %.*s\n", (int)(len > 400 ? 400 : len), json);
            die("result JSON is not a JSON object");
        }
        cJSON_Delete(doc);
    }
    const char *errs = pcfmcp_pcf_result_pcf_errors(res);
    if (errs) {
        cJSON *arr = cJSON_Parse(errs);
        const cJSON *e;
        if (!cJSON_IsArray(arr))
            die("pcf_errors is not an array");
        cJSON_ArrayForEach(e, arr) {
            if (!cJSON_IsString(e))
                die("pcf_errors holds a non-string");
            check_text(e->valuestring, false);
        }
        cJSON_Delete(arr);
    }
    /* A file name from PCF becomes a local file name: a base name only. */
    const char *fn = pcfmcp_pcf_result_filename(res);
    if (fn) {
        check_text(fn, false);
        if (!fn[0] || strchr(fn, '/') || strchr(fn, '\\') || strcmp(fn, ".") == 0 ||
            strcmp(fn, "..") == 0)
            die("unsafe file name");
    }
    check_text(pcfmcp_pcf_result_content_type(res), false);
}

void pcf_drive(const uint8_t *data, size_t size, const pcfmcp__pcf_op *ops, size_t nops, int web)
{
    if (!parent[0])
        setup();
    const char *p = (const char *)data, *end = p + size;
    peer_input in;
    peer_split_input(p, end, &in);
    unsigned flags = in.flags;
    pcfmcp__pcf_op op = pick(in.name, in.name_len, ops, nops);
    cJSON *args = defaults(op);
    cJSON *given = NULL;
    if (args && in.args_len &&
        pcfmcp__json_parse(in.args, in.args_len, 16, &given, NULL) == PCFMCP__JSON_OK &&
        cJSON_IsObject(given)) {
        cJSON *m;
        cJSON_ArrayForEach(m, given) {
            cJSON_DeleteItemFromObjectCaseSensitive(args, m->string);
            cJSON_AddItemToObject(args, m->string, cJSON_Duplicate(m, true));
        }
    }
    cJSON_Delete(given);
    static peer_answer answers[MAX_ANSWERS];
    peer_script(answers, peer_parse_script(in.script, in.end, answers, MAX_ANSWERS));

    pcfmcp_pcf_t *pcf = NULL;
    if (pcfmcp_pcf_new_sibling(&pcf, parent[web ? 1 : 0]) != PCFMCP_OK)
        die("sibling");
    if ((flags & 1) && pcfmcp_pcf_set_token(pcf, TOKEN) != PCFMCP_OK)
        die("token");
    if ((flags & 2) && pcfmcp_pcf_set_login(pcf, "pcf-tester@example.com", "correct horse") != PCFMCP_OK)
        die("login");
    /* Whatever the last input left: PCF answered, so it is not hung. */
    pcfmcp__pcf_hung_clear(parent[web ? 1 : 0]);
    pcfmcp__pcf_callctx ctx = { .request_id = "fuzz", .identity = "key:fuzz" };
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_call(pcf, &ctx, op, args, &res);
    check_result(rc, res);
    pcfmcp_pcf_free(pcf);
    /* PCFDRIVE_VERBOSE=1 shows what each input did (for writing seeds). */
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("PCFDRIVE_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "pcfdrive: %s flags %u: %s (%s); %zu answered, %zu refused\n",
                pcfmcp__pcf_op_label(op), flags, pcfmcp_strerror(rc),
                pcfmcp_pcf_result_message(res), peer_answered(), peer_refused());
    pcfmcp_pcf_result_free(res);
    cJSON_Delete(args);
}
