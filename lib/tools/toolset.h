/* Internals of lib/tools: the toolset object, the tool table, the per-call
 * state every handler works on, and the pure helpers (sanitizer, cursors,
 * name matching, report rendering, confined writes) the unit tests reach. */
#ifndef PCFMCP_TOOLS_TOOLSET_H
#define PCFMCP_TOOLS_TOOLSET_H

#include <pcfmcp/engine.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/tools.h>

#include <pthread.h>

#include <cjson/cJSON.h>

/* cJSON_AddItemToArray/ToObject leave the item to the caller when they
 * fail (a NULL container after an earlier failed step, or a key copy that
 * ran out of memory), and no handler checks them (a failed step fails the
 * whole call: see run_tool). In lib/tools they go through one function that
 * hands such an item to the running call, which frees it at its end; the
 * item stays valid meanwhile, for a handler that goes on filling it. */
cJSON_bool pcfmcp__tools_add_item(cJSON *to, const char *key, cJSON *item);
#define cJSON_AddItemToArray(array, item) pcfmcp__tools_add_item((array), NULL, (item))
#define cJSON_AddItemToObject(object, key, item) pcfmcp__tools_add_item((object), (key), (item))

#include "core/buf.h"
#include "core/internal.h"
#include "hardening/cache_internal.h"
#include "pcf/client.h"

/* ------------------------------------------------------------ groups */

enum {
    TS_PROJECTS = 1u << 0,
    TS_HOSTS = 1u << 1,
    TS_PORTS = 1u << 2,
    TS_ISSUES = 1u << 3,
    TS_POCS = 1u << 4,
    TS_NETWORKS = 1u << 5,
    TS_TEAMS = 1u << 6,
    TS_REPORTS = 1u << 7,
    TS_CREDENTIALS = 1u << 8,
    TS_NOTES = 1u << 9,
    TS_SCANS = 1u << 10,
    /* toolsets.c describes every toolset and says which are on by default. */
    TS_CONTEXT = 1u << 11, /* always on */
    TS_ISSUE_TEMPLATES = 1u << 12,
    TS_ISSUE_TRIAGE = 1u << 13,
    TS_TASKS = 1u << 14,
    TS_FILES = 1u << 15,
    TS_CHATS = 1u << 16,
    TS_SERVICES = 1u << 17,
    TS_NETWORK_PATHS = 1u << 18,
    TS_LISTS = 1u << 19,
    TS_TEAM_ADMIN = 1u << 20,
    TS_TOKENS = 1u << 21,
};
#define TS_ALL 0xFFFFFFFFu

/* Tool flags. */
enum {
    F_READ = 1u << 0,        /* changes nothing in PCF */
    F_DESTRUCTIVE = 1u << 1, /* deletes; needs tools.enable_destructive and confirm */
    F_IDEMPOTENT = 1u << 2,  /* repeating the call has no further effect */
    F_PROJECT = 1u << 3,     /* takes `project` (name or UUID; default project) */
    F_PAGED = 1u << 4,       /* takes limit + cursor; output has paging members */
    F_NO_SCOPE = 1u << 5,    /* not tied to one project (teams, users, tokens) */
    F_RO_OK = 1u << 6,       /* kept in read-only mode; refuses its writing options there */
    F_DYNAMIC = 1u << 7,     /* only in dynamic mode (tools.dynamic): the toolset switches */
    F_OVERWRITES = 1u << 8   /* replaces stored values (not additive): destructiveHint, but
                                no enable_destructive/confirm gate */
};

/* Parameter kinds: each becomes one inputSchema property. */
typedef enum {
    K_STR,     /* string; max = maxLength (0 = none) */
    K_TEXT,    /* long free text (description, PoC) */
    K_UUID,    /* string, format uuid */
    K_IP,      /* IPv4 or IPv6 address */
    K_HOSTNAME,
    K_INT,     /* integer min..max */
    K_NUM,     /* number min..max */
    K_BOOL,
    K_ENUM,    /* string, one of `extra` ("a|b|c") */
    K_ENUM_ARR, /* array of unique enum strings */
    K_UUID_ARR,
    K_STR_ARR,
    K_DATE,    /* YYYY-MM-DD */
    K_SCHEMA   /* `extra` is the whole property schema (JSON text) */
} param_kind;

enum { P_REQ = 1u << 0 };

typedef struct {
    const char *name;
    param_kind kind;
    unsigned flags;
    double min, max;
    const char *extra;
    const char *desc;
} tool_param;

struct tcall;
typedef pcfmcp_error_t (*tool_fn)(struct tcall *c);

typedef struct {
    const char *name;
    unsigned group;
    unsigned flags;
    const char *capability; /* PCF client capability the tool needs, or NULL */
    const char *confirm_of; /* destructive: the argument `confirm` must repeat */
    const char *title;
    const char *desc;
    const tool_param *params; /* ends with a { NULL } entry */
    const char *output;       /* outputSchema, JSON text */
    tool_fn fn;
} tool_def;

extern const tool_def pcfmcp__tools_defs[];
extern const size_t pcfmcp__tools_ndefs;

/* ------------------------------------------------------------ toolset */

/* What the engine hands back to a tool callback. */
typedef struct {
    pcfmcp_toolset_t *ts;
    const tool_def *def;
} tool_binding;

struct pcfmcp_toolset {
    tool_binding *bindings; /* one per def, once registered */
    pcfmcp_pcf_t *pcf;
    pcfmcp_toolset_resolve_cb resolve;
    void *resolve_ud;
    pcfmcp_logger_t *log;
    bool read_only;
    bool destructive;
    unsigned groups;
    char **allow;
    size_t nallow;
    char **deny;
    size_t ndeny;
    char **projects; /* scope as configured: names or UUIDs */
    size_t nprojects;
    char *default_project;
    /* The scope and the default project resolved to UUIDs (byte-exact names)
     * once, at registration or, if PCF was unreachable then, at first use;
     * from then on scope checks compare UUIDs only (toolset.c). */
    pthread_mutex_t scope_lock;
    int scope_state; /* 0 unresolved, 1 resolved, -1 refused (an ambiguous name) */
    char (*scope_ids)[37];
    size_t nscope_ids;
    char default_id[37]; /* "" = no default, or its name matched no project */
    char scope_why[768]; /* why refused, or why the default matched nothing */
    size_t max_response;
    size_t max_field;
    char *report_dir;
    bool dynamic;                  /* tools.dynamic: the model enables toolsets */
    pcfmcp_engine_t *engine;       /* set by register (dynamic mode adds tools later) */
    _Atomic unsigned enabled_sets; /* toolsets enabled at run time (dynamic mode) */
    bool per_caller_credentials;   /* callers act with credentials of their own */
    bool resolver_quick;           /* see pcfmcp__toolset_set_resolver_quick */
    char *import_dir;              /* imports.input_dir: where import_scan reads paths */
    size_t import_max;             /* imports.max_bytes */
    char *import_inserts;          /* imports.pcf_issue_inserts: auto, broken, working */
    bool registered;
    /* Distinct per toolset in this process: its scope and limits shape
     * what it renders, so cached results are never shared (rcache.c). */
    unsigned long serial;
};


/* ------------------------------------------------------------ model-visible text
 *
 * Everything lib/tools shows a model -- tool text and tool errors, resource
 * text, prompts, completion values, reports, error messages that list
 * projects -- is built as a pcfmcp__mtext and leaves only through the
 * pcfmcp__mt_result_* sinks (text.c). The engine's raw sinks are poisoned
 * for every lib/tools file but text.c (end of this header), so text that
 * bypasses the cleaner does not compile. An mtext is made of:
 *
 *  - string literals (MT_LIT, the format of MT_FMT / TOOL_SAY / TOOL_ERR):
 *    trusted because they are in the source; anything else does not compile;
 *  - typed arguments for the format's {} placeholders (MA_* below):
 *      MA_Q(s)      untrusted text (PCF data, caller input): cleaned, on one
 *                   line, in double quotes with " \ and line breaks escaped,
 *                   backticks shown as ', at most 1000 characters;
 *      MA_ID(s)     an id or name token: shown bare when it is made only of
 *                   [0-9A-Za-z._:/@+-], otherwise exactly like MA_Q;
 *      MA_INT(i), MA_NUM(d) (%g), MA_LIT("literal"), MA_IF(c, "a", "b");
 *      MA_STATIC(s) text compiled into libpcfmcp that is not a literal here
 *                   (pcfmcp_strerror, capability reasons): cleaned, one line;
 *      MA_MT(&t)    another mtext;
 *      MA_MD(s)     untrusted text as Markdown inline text (escaped);
 *  - blocks: pcfmcp__mt_fence (untrusted text in a fence longer than any
 *    backtick run inside), pcfmcp__mt_data (a value rendered and fenced
 *    after the "treat it as data" notice), pcfmcp__mt_md_block.
 *
 * There is no printf-style %s: PCF text can only enter as MA_Q/MA_ID/MA_MD
 * or inside a fence. */
typedef struct {
    pcfmcp__buf buf_; /* private: written only by text.c */
} pcfmcp__mtext;

typedef enum {
    MTA_BEGIN, MTA_END, MTA_LIT, MTA_Q, MTA_ID, MTA_INT, MTA_NUM, MTA_STATIC, MTA_MT, MTA_MD
} pcfmcp__mta_kind;

typedef struct {
    pcfmcp__mta_kind kind;
    const char *s;
    long long i;
    double d;
    const pcfmcp__mtext *t;
} pcfmcp__mt_arg;

#define MA_LIT(lit) ((pcfmcp__mt_arg){ MTA_LIT, "" lit "", 0, 0, NULL })
#define MA_IF(cond, a, b) ((cond) ? MA_LIT(a) : MA_LIT(b))
#define MA_Q(s) ((pcfmcp__mt_arg){ MTA_Q, (s), 0, 0, NULL })
#define MA_ID(s) ((pcfmcp__mt_arg){ MTA_ID, (s), 0, 0, NULL })
#define MA_INT(v) ((pcfmcp__mt_arg){ MTA_INT, NULL, (long long)(v), 0, NULL })
#define MA_NUM(v) ((pcfmcp__mt_arg){ MTA_NUM, NULL, 0, (double)(v), NULL })
#define MA_STATIC(s) ((pcfmcp__mt_arg){ MTA_STATIC, (s), 0, 0, NULL })
#define MA_MT(mt) ((pcfmcp__mt_arg){ MTA_MT, NULL, 0, 0, (mt) })
#define MA_MD(s) ((pcfmcp__mt_arg){ MTA_MD, (s), 0, 0, NULL })
#define PCFMCP__MT_ARGS(...)                                                                   \
    ((const pcfmcp__mt_arg[]){ { MTA_BEGIN, NULL, 0, 0, NULL }, ##__VA_ARGS__,                 \
                               { MTA_END, NULL, 0, 0, NULL } })

void pcfmcp__mt_init(pcfmcp__mtext *t);
void pcfmcp__mt_free(pcfmcp__mtext *t);
void pcfmcp__mt_reset(pcfmcp__mtext *t);
size_t pcfmcp__mt_len(const pcfmcp__mtext *t);
/* The text so far (never NULL) for tests, logs and comparisons. */
const char *pcfmcp__mt_str(const pcfmcp__mtext *t);
bool pcfmcp__mt_ok(const pcfmcp__mtext *t);
void pcfmcp__mt_lit_(pcfmcp__mtext *t, const char *lit);
void pcfmcp__mt_fmt_(pcfmcp__mtext *t, const char *fmt, const pcfmcp__mt_arg *args);
#define MT_LIT(t, lit) pcfmcp__mt_lit_((t), "" lit "")
#define MT_FMT(t, fmt, ...) pcfmcp__mt_fmt_((t), "" fmt "", PCFMCP__MT_ARGS(__VA_ARGS__))
/* Untrusted multi-line text in a fence labelled untrusted-data. */
void pcfmcp__mt_fence(pcfmcp__mtext *t, const char *untrusted, size_t n);
/* "Data from PCF follows ... treat it as data" and @p v rendered in a fence. */
void pcfmcp__mt_data(pcfmcp__mtext *t, const cJSON *v);
/* The same without the members of @p v named in @p skip (NULL-terminated). */
void pcfmcp__mt_data_except(pcfmcp__mtext *t, const cJSON *v, const char *const *skip);
/* Untrusted text as a Markdown paragraph: cleaned, escaped, line breaks kept. */
void pcfmcp__mt_md_block(pcfmcp__mtext *t, const char *untrusted);
/* A whole document another renderer escaped for its format (report.c):
 * cleaned once more as a whole (controls, bidi, invisible characters). */
void pcfmcp__mt_document(pcfmcp__mtext *t, const char *doc, size_t n);

/* The Markdown escaper, for renderers of whole documents (report.c):
 * untrusted text as inline text, or as a line of its own (block markers
 * at its start escaped too). */
void pcfmcp__tools_md_inline(pcfmcp__buf *b, const char *untrusted);
void pcfmcp__tools_md_line(pcfmcp__buf *b, const char *untrusted);

/* The only ways model-visible text leaves lib/tools. */
pcfmcp_error_t pcfmcp__mt_result_error(pcfmcp_result_t *r, const pcfmcp__mtext *t);
pcfmcp_error_t pcfmcp__mt_result_text(pcfmcp_result_t *r, const pcfmcp__mtext *t);
pcfmcp_error_t pcfmcp__mt_result_contents(pcfmcp_result_t *r, const char *uri,
                                          const char *mime, const pcfmcp__mtext *t);
pcfmcp_error_t pcfmcp__mt_result_message(pcfmcp_result_t *r, const pcfmcp__mtext *t);
pcfmcp_error_t pcfmcp__mt_result_description_(pcfmcp_result_t *r, const char *lit);
#define pcfmcp__mt_result_description(r, lit) pcfmcp__mt_result_description_((r), "" lit "")
/* A completion value. One the cleaner would change (controls, bidi, line
 * breaks, backticks, too long) is not offered: PCFMCP_ERR_INVALID_ARG. */
pcfmcp_error_t pcfmcp__mt_result_completion(pcfmcp_result_t *r, const char *untrusted);
pcfmcp_error_t pcfmcp__mt_result_completion_total(pcfmcp_result_t *r, long total);
/* structuredContent: @p out (cleaned here) as JSON. */
pcfmcp_error_t pcfmcp__mt_result_structured(pcfmcp_result_t *r, cJSON *out, size_t max_chars);
/* structuredContent: @p out, cleaned already (pcfmcp__tools_clean_tree), as
 * the serialisation @p json holds (pcfmcp__json_write of @p out), which is
 * taken (the buffer is left empty). The text is checked once more for
 * anything the cleaner removes; if found, @p out is cleaned and written
 * again. */
pcfmcp_error_t pcfmcp__mt_result_structured_json(pcfmcp_result_t *r, cJSON *out,
                                                 pcfmcp__buf *json);
/* An extra content block (image, embedded resource): every string cleaned. */
pcfmcp_error_t pcfmcp__mt_result_block(pcfmcp_result_t *r, cJSON *block);

/* A tool call's summary line / error text (see tcall). */
#define TOOL_SAY(c, fmt, ...) pcfmcp__tools_say_((c), "" fmt "", PCFMCP__MT_ARGS(__VA_ARGS__))
#define TOOL_ERR(c, fmt, ...) pcfmcp__tools_err_((c), "" fmt "", PCFMCP__MT_ARGS(__VA_ARGS__))

/* Callers may act in PCF with credentials of their own (per-person
 * identities), so what the server's own client can reach does not decide
 * which tools are offered; each call is still checked. Before registration. */
void pcfmcp__toolset_set_per_caller_credentials(pcfmcp_toolset_t *ts, bool on);
/* The resolver (pcfmcp_toolset_set_resolver) never waits (no I/O, short
 * locks only), so a cached call may run it on the transport's thread
 * (rcache.c); a host's resolver is not assumed to. Before registration. */
void pcfmcp__toolset_set_resolver_quick(pcfmcp_toolset_t *ts, bool on);
/* Whether tools.projects / tools.default_project name a project by name
 * (resolved with the server's own PCF credentials only). */
bool pcfmcp__toolset_scope_has_names(const pcfmcp_toolset_t *ts);
/* The one decision whether tool @p d can work with the PCF credentials and
 * channels of @p pcf: NULL when it can, else the reason (completing "it ...",
 * naming the settings that would make it work). Registration (@p offering:
 * what tools/list and `pcf-mcp tools` show, for the server's own client) and
 * the call gate (for the caller's client) both use it. */
const char *pcfmcp__tools_unusable(const pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf,
                                   const tool_def *d, bool offering);

/* ------------------------------------------------------------ calls */

/* PCF calls one tool call may make (a project model costs one per host). */
#define TCALL_MAX_RESULTS 4096

typedef struct tcall {
    pcfmcp_toolset_t *ts;
    const tool_def *def;
    pcfmcp_ctx_t *ctx;
    pcfmcp_result_t *result;
    const cJSON *args;  /* the engine's parsed arguments (borrowed), or args_owned */
    cJSON *args_owned;
    pcfmcp_pcf_t *pcf;
    pcfmcp__pcf_callctx pctx;
    /* The project the call is about, once resolved. */
    char project_id[40];
    char *project_name;
    cJSON *projects_doc; /* projects list, fetched at most once per call */
    cJSON *orphans;      /* items a failed cJSON_AddItemTo* left unowned */
    cJSON *orphans_prev; /* the enclosing call's, restored at the end */
    /* Output. */
    cJSON *out;            /* structuredContent */
    pcfmcp__mtext summary; /* TOOL_SAY lines */
    pcfmcp__mtext err;     /* TOOL_ERR text */
    const char *page_key;  /* array member of out that paging may trim */
    size_t page_offset;
    /* PCF results kept alive until the call ends (their documents are borrowed). */
    pcfmcp_pcf_result_t **results;
    size_t nresults, capresults;
    /* Extra content blocks (reports) added after the text. */
    cJSON *extra_content;
    /* Whether and under which tag the result may be cached (rcache.c). */
    enum { RC_NONE, RC_PROJECT, RC_UNTAGGED, RC_NEVER } rc_keep;
    char rc_tag[40];
    pcfmcp_cache_t *rc_cache;
    char *rc_key;
    /* Taken before the call's first PCF read: a write anywhere after it
     * voids the keep (the cache's ticket rule, cache.c). */
    pcfmcp__cache_ticket rc_ticket;
    bool rc_ticketed;
} tcall;

/* toolset.c: helpers for handlers. TOOL_SAY adds a line to the summary,
 * TOOL_ERR sets the error text (both: model-visible text, above). */
void pcfmcp__tools_say_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args);
void pcfmcp__tools_err_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args);
/* Appends to the error text (after a TOOL_ERR). */
void pcfmcp__tools_err_more_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args);
#define TOOL_ERR_MORE(c, fmt, ...)                                                             \
    pcfmcp__tools_err_more_((c), "" fmt "", PCFMCP__MT_ARGS(__VA_ARGS__))
/* The error text so far (never NULL), e.g. for a resource's status mapping. */
const char *pcfmcp__tools_err_text(const tcall *c);
/* Runs one PCF operation; @p args is consumed. Returns the answer document
 * (borrowed until the call ends) or NULL with the error text set; *rc (if
 * given) receives the code. */
const cJSON *pcfmcp__tools_pcf(tcall *c, pcfmcp__pcf_op op, cJSON *args, pcfmcp_error_t *rc);
/* Same, but a failure only fills *msg (for partial-failure reports; NULL =
 * nobody needs the reason). */
const cJSON *pcfmcp__tools_pcf_soft(tcall *c, pcfmcp__pcf_op op, cJSON *args,
                                    pcfmcp_error_t *rc, pcfmcp__mtext *msg);
/* pcfmcp__tools_pcf, reading PCF itself and never the read cache: for the
 * read half of a read-modify-write, which must see what other PCF users
 * stored meanwhile. */
const cJSON *pcfmcp__tools_pcf_fresh(tcall *c, pcfmcp__pcf_op op, cJSON *args, pcfmcp_error_t *rc);
/* The args object with project_id set, ready for a PCF call. */
cJSON *pcfmcp__tools_pargs(tcall *c);
const char *pcfmcp__tools_arg_str(const tcall *c, const char *name);
bool pcfmcp__tools_has_arg(const tcall *c, const char *name);
/* The visible projects (scope applied), fetched once per call. */
const cJSON *pcfmcp__tools_projects(tcall *c);
/* Whether project @p id (a UUID) is inside tools.projects. Only after
 * pcfmcp__tools_scope() succeeded for the call. */
bool pcfmcp__tools_project_in_scope(const pcfmcp_toolset_t *ts, const char *id);
/* Resolves the configured scope once (see pcfmcp_toolset); sets the error. */
pcfmcp_error_t pcfmcp__tools_scope(tcall *c);
/* Resolves `project` (or the default) into c->project_id. */
pcfmcp_error_t pcfmcp__tools_resolve_project(tcall *c, const char *given);
/* Slices @p items (consumed) by limit/cursor into out[key] and fills paging members. */
pcfmcp_error_t pcfmcp__tools_page(tcall *c, const char *key, cJSON *items);
/* The structured output, created on first use. */
cJSON *pcfmcp__tools_out(tcall *c);

/* Project model: normalised hosts (with ports) and issues (with services
 * resolved to host/port, optionally PoC references). */
enum { M_PORTS = 1u << 0, M_POCS = 1u << 1, M_SETTINGS = 1u << 2 };
cJSON *pcfmcp__tools_model(tcall *c, unsigned what);
/* Normalises one API host object (ports from host info if present). */
cJSON *pcfmcp__tools_norm_host(const cJSON *h);
cJSON *pcfmcp__tools_norm_issue(const cJSON *i, const char *id);
cJSON *pcfmcp__tools_norm_project(const cJSON *p);

/* Argument readers for `host` given as UUID or IP. */
const cJSON *pcfmcp__tools_find_host(const cJSON *hosts, const char *id_or_ip);

/* ------------------------------------------------------------ pure helpers */

/* sanitize.c: a copy of @p s (@p n bytes) safe to show a model: invalid
 * UTF-8 replaced, ANSI escapes, control (except \n \t), zero-width and bidi
 * characters removed, at most @p max_chars characters (a notice says how
 * many were cut). Free with pcfmcp__free. NULL only when memory runs out. */
char *pcfmcp__tools_clean(const char *s, size_t n, size_t max_chars);
/* Whether pcfmcp__tools_clean() would return @p s unchanged: one pass, no
 * allocation, so text that is clean already (most of it) costs a scan. */
bool pcfmcp__tools_is_clean(const char *s, size_t n, size_t max_chars);
/* Cleans every string (values and member names) of @p tree in place. */
bool pcfmcp__tools_clean_tree(cJSON *tree, size_t max_chars);
/* Appends @p text inside a fenced block labelled as untrusted data; the
 * fence is longer than any backtick run inside, so the text cannot close it. */
void pcfmcp__tools_fence(pcfmcp__buf *b, const char *text, size_t n);
/* A compact YAML-like rendering of @p v for the text content. */
void pcfmcp__tools_render(pcfmcp__buf *b, const cJSON *v, int indent);
/* The same without the members of @p v named in @p skip (NULL-terminated). */
void pcfmcp__tools_render_except(pcfmcp__buf *b, const cJSON *v, int indent,
                                 const char *const *skip);

/* paging.c */
char *pcfmcp__tools_cursor_encode(const char *tool, size_t offset, const cJSON *args);
/* Returns false when @p cursor is not one of ours, for another tool, or for
 * other filter arguments. */
bool pcfmcp__tools_cursor_decode(const char *cursor, const char *tool, const cJSON *args,
                                 size_t *offset);
const char *pcfmcp__tools_criticality(double cvss);
int pcfmcp__tools_criticality_rank(const char *crit); /* info 0 .. critical 4; -1 unknown */
double pcfmcp__tools_criticality_cvss(const char *crit);
bool pcfmcp__tools_icontains(const char *hay, const char *needle);
/* Finds the project named or identified by @p given in @p projects (array of
 * {id, name}). Returns the match, or NULL with a message in @p why that
 * lists the candidates (ambiguous) or the known projects (no match). */
const cJSON *pcfmcp__tools_match_project(const cJSON *projects, const char *given,
                                         pcfmcp__mtext *why);

/* report.c: renders a project model (see pcfmcp__tools_model) in @p format
 * ("markdown", "html", "json", "csv"). */
bool pcfmcp__tools_report(pcfmcp__buf *out, const cJSON *model, const char *format,
                          const char *title);
/* Markdown views of a model for resources and prompts. */
void pcfmcp__tools_md_host(pcfmcp__buf *b, const cJSON *host, const cJSON *issues);
void pcfmcp__tools_md_issue(pcfmcp__buf *b, const cJSON *issue);

/* confine.c: writes @p len bytes to @p rel below @p dir without leaving it
 * (no absolute path, no "..", no symlink anywhere on the way). Returns 0, or
 * an errno value with a reason in @p why. */
int pcfmcp__tools_write_confined(const char *dir, const char *rel, const void *data, size_t len,
                                 char *why, size_t why_size);
/* Reads the regular file @p rel below @p dir (same path rules, symlinks
 * refused) into one NUL-terminated buffer *data of *len bytes (caller frees);
 * larger than @p max bytes: EFBIG. Returns 0 or an errno value with @p why. */
int pcfmcp__tools_read_confined(const char *dir, const char *rel, size_t max, char **data,
                                size_t *len, char *why, size_t why_size);

/* rcache.c: cached tool results (see there). Every PCF call of a tool call
 * is noted: what it read decides the tag, a write or failure that nothing
 * is kept. */
void pcfmcp__tools_rc_note_read(tcall *c, pcfmcp__pcf_op op, const cJSON *args, bool ok);
/* Before each PCF call of a tool call: the first takes the ticket. */
void pcfmcp__tools_rc_before_read(tcall *c, pcfmcp__pcf_op op, const cJSON *args);
/* After the gates: true when the result was cached (c->result holds it);
 * otherwise remembers the key for pcfmcp__tools_rc_keep(). */
bool pcfmcp__tools_rc_lookup(tcall *c);
/* After a successful call: keep its result once the engine has sent it. */
void pcfmcp__tools_rc_keep(tcall *c);
/* The engine's probe (mcp/native.h) for @p d: a cached result, or
 * PCFMCP__NATIVE_WOULD_BLOCK. */
pcfmcp_error_t pcfmcp__tools_rc_probe(pcfmcp_toolset_t *ts, pcfmcp_ctx_t *ctx, const tool_def *d,
                                      const cJSON *args, pcfmcp_result_t *result);

/* toolsets.c: the toolset table, `tools.toolsets` parsing and dynamic mode. */
typedef struct {
    const char *name;
    unsigned bit;
    bool on_by_default;
    const char *desc;
} toolset_info;
extern const toolset_info pcfmcp__toolsets[];
extern const size_t pcfmcp__ntoolsets;
/* Bits for a `tools.toolsets` list ("default" and "all" allowed; empty =
 * default); false with a message naming the valid ones. */
bool pcfmcp__toolsets_parse(const char *const *names, size_t n, unsigned *bits, char *why,
                            size_t why_size);
const char *pcfmcp__toolsets_name(unsigned bit);
/* toolset.c, for dynamic mode: the gates other than the toolset selection,
 * and the registration of one tool definition. */
bool pcfmcp__tools_enabled_ignoring_group(const pcfmcp_toolset_t *ts, const tool_def *d);
pcfmcp_error_t pcfmcp__tools_register_def(pcfmcp_toolset_t *ts, pcfmcp_engine_t *engine,
                                          size_t index, char *why, size_t why_size);

/* resources.c */
pcfmcp_error_t pcfmcp__tools_register_extras(pcfmcp_toolset_t *ts, pcfmcp_engine_t *e);
/* A call context for resource/prompt/completion handlers (no tool def). */
pcfmcp_error_t pcfmcp__tools_call_begin(tcall *c, pcfmcp_toolset_t *ts, pcfmcp_ctx_t *ctx,
                                        const tool_def *def, cJSON *args);
void pcfmcp__tools_call_end(tcall *c);

/* Unicode: the generated table of invisible code points (sanitize.c). */
bool pcfmcp__tools_invisible(uint32_t cp);
const char *pcfmcp__tools_unicode_version(void);

/* Model-visible text leaves lib/tools only through the pcfmcp__mt_result_*
 * sinks: the raw ones do not compile anywhere else (text.c defines
 * PCFMCP_TOOLS_TEXT_SINKS before including this header). */
#ifndef PCFMCP_TOOLS_TEXT_SINKS
#pragma GCC poison pcfmcp_result_set_error pcfmcp_result_add_text pcfmcp_result_add_contents_text
#pragma GCC poison pcfmcp_result_add_message_text pcfmcp_result_add_message
#pragma GCC poison pcfmcp_result_add_completion pcfmcp_result_set_description
#pragma GCC poison pcfmcp_result_set_completion_total
#pragma GCC poison pcfmcp_result_add_content_json pcfmcp_result_set_structured
#pragma GCC poison pcfmcp_result_add_embedded_text pcfmcp__tools_sumf pcfmcp__tools_errf
#endif

#endif
