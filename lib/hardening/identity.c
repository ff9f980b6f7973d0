#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include <pcfmcp/auth.h>
#include <pcfmcp/identity.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"

#define MAP_FILE_MAX (1024 * 1024)
#define SECRET_FILE_MAX (64 * 1024)
#define ENTRIES_MAX 10000
#define MAX_ERRORS 10

typedef struct {
    char *identity;
    char *token;
    char *email;
    char *password;
} entry;

/* Immutable once published; sorted by identity for bsearch. */
typedef struct {
    atomic_uint refs;
    size_t n;
    entry *e;
} snapshot;

struct pcfmcp_identity_map {
    pcfmcp_logger_t *lg;
    pthread_mutex_t conf_lock; /* serialises loads */
    pthread_mutex_t swap_lock; /* held only to copy `snap` and take a reference */
    snapshot *snap;
    atomic_int require;
    atomic_ulong generation;
};

struct pcfmcp_credentials {
    char *token;
    char *email;
    char *password;
};

static void entry_wipe(entry *e)
{
    pcfmcp__free(e->identity);
    pcfmcp__secure_free(e->token);
    pcfmcp__free(e->email);
    pcfmcp__secure_free(e->password);
    memset(e, 0, sizeof(*e));
}

static void snap_unref(snapshot *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        entry_wipe(&s->e[i]);
    pcfmcp__free(s->e);
    pcfmcp__free(s);
}

static snapshot *acquire(const pcfmcp_identity_map_t *cm)
{
    pcfmcp_identity_map_t *m = (pcfmcp_identity_map_t *)cm;
    pthread_mutex_lock(&m->swap_lock);
    snapshot *s = m->snap;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&m->swap_lock);
    return s;
}

/* ---------------------------------------------------------------- parse */

typedef struct {
    pcfmcp_identity_map_t *m;
    const char *path;
    yaml_document_t *doc;
    pcfmcp__buf errors;
    pcfmcp__buf warnings;
    unsigned nerrors;
    bool nomem;
    entry *e;
    size_t *lines;
    size_t n, cap;
} loader;

static void problem(loader *L, const yaml_node_t *at, const char *fmt, ...) PCFMCP_PRINTF(3, 4);

static void problem(loader *L, const yaml_node_t *at, const char *fmt, ...)
{
    if (++L->nerrors > MAX_ERRORS)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at)
        pcfmcp__buf_printf(&L->errors, "%s:%zu: %s\n", L->path, at->start_mark.line + 1, msg);
    else
        pcfmcp__buf_printf(&L->errors, "%s: %s\n", L->path, msg);
}

static void warn_mode(loader *L, const char *file, const char *what)
{
    struct stat st;
    if (stat(file, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        pcfmcp__buf_printf(&L->warnings,
                           "%s %s is accessible to group or others (mode %04o); it holds secrets, "
                           "make it 0600\n",
                           what, file, (unsigned)(st.st_mode & 07777));
}

/* A scalar's text, or NULL (and a problem) if the node is no scalar or
 * hides a NUL byte that C strings would silently cut at. */
static const char *scalar(loader *L, const yaml_node_t *n, const char *what)
{
    if (!n || n->type != YAML_SCALAR_NODE) {
        problem(L, n, "%s must be a plain value", what);
        return NULL;
    }
    const char *s = (const char *)n->data.scalar.value;
    if (strlen(s) != n->data.scalar.length) {
        problem(L, n, "%s contains a NUL byte", what);
        return NULL;
    }
    return s;
}

static bool no_controls(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return false;
    return true;
}

/* Reads a *_file value; relative paths start at the map file's directory. */
static char *read_secret_file(loader *L, const yaml_node_t *at, const char *file, const char *field)
{
    pcfmcp__buf p;
    pcfmcp__buf_init(&p);
    const char *slash = strrchr(L->path, '/');
    if (file[0] != '/' && slash)
        pcfmcp__buf_append(&p, L->path, (size_t)(slash - L->path) + 1);
    pcfmcp__buf_puts(&p, file);
    if (!pcfmcp__buf_ok(&p)) {
        L->nomem = true;
        return NULL;
    }
    char *content = NULL;
    size_t len = 0;
    int err = pcfmcp__read_file(p.data, SECRET_FILE_MAX, true, &content, &len);
    if (err == ENOMEM) {
        L->nomem = true;
    } else if (err) {
        problem(L, at, "%s: cannot read %s: %s", field, p.data,
                err == EFBIG ? "larger than 64 KiB" : strerror(err));
    } else if (len == 0 || strlen(content) != len) {
        problem(L, at, "%s: %s is empty or holds a NUL byte", field, p.data);
        pcfmcp__secure_free(content);
        content = NULL;
    } else {
        warn_mode(L, p.data, field);
    }
    pcfmcp__buf_free(&p);
    return content;
}

enum { F_IDENTITY, F_TOKEN, F_TOKEN_FILE, F_EMAIL, F_EMAIL_FILE, F_PASSWORD, F_PASSWORD_FILE, F_N };
static const char *const field_names[F_N] = {
    "identity", "token", "token_file", "email", "email_file", "password", "password_file",
};

/* One value from inline text or a file; NULL (with or without a problem)
 * when absent or bad. */
static char *value_of(loader *L, const yaml_node_t *const *nodes, int inline_f, int file_f,
                      bool *bad)
{
    const yaml_node_t *vi = nodes[inline_f], *vf = nodes[file_f];
    if (vi && vf) {
        problem(L, vf, "give %s or %s, not both", field_names[inline_f], field_names[file_f]);
        *bad = true;
        return NULL;
    }
    char *v = NULL;
    if (vi) {
        const char *s = scalar(L, vi, field_names[inline_f]);
        if (!s) {
            *bad = true;
            return NULL;
        }
        if (!(v = pcfmcp__strdup(s)))
            L->nomem = true;
    } else if (vf) {
        const char *f = scalar(L, vf, field_names[file_f]);
        if (!f || !f[0]) {
            if (f)
                problem(L, vf, "%s is empty", field_names[file_f]);
            *bad = true;
            return NULL;
        }
        v = read_secret_file(L, vf, f, field_names[file_f]);
        if (!v && !L->nomem)
            *bad = true;
    }
    if (v && (!v[0] || !no_controls(v))) {
        problem(L, vi ? vi : vf, "%s is empty or holds control characters",
                field_names[inline_f]);
        pcfmcp__secure_free(v);
        *bad = true;
        return NULL;
    }
    return v;
}

static void parse_entry(loader *L, const yaml_node_t *item)
{
    if (item->type != YAML_MAPPING_NODE) {
        problem(L, item, "each identity must be a mapping with identity: and credentials");
        return;
    }
    const yaml_node_t *nodes[F_N] = { NULL };
    bool bad = false;
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
        const char *name = scalar(L, k, "a field name");
        if (!name) {
            bad = true;
            continue;
        }
        int f = 0;
        while (f < F_N && strcmp(field_names[f], name) != 0)
            f++;
        if (f == F_N) {
            problem(L, k, "unknown field \"%.64s\" (expected identity, token, token_file, email, "
                          "email_file, password or password_file)", name);
            bad = true;
        } else if (nodes[f]) {
            problem(L, k, "field %s given twice", name);
            bad = true;
        } else {
            nodes[f] = v;
        }
    }
    const char *id = nodes[F_IDENTITY] ? scalar(L, nodes[F_IDENTITY], "identity") : NULL;
    if (!nodes[F_IDENTITY])
        problem(L, item, "entry has no identity");
    if (id && (!id[0] || strlen(id) >= PCFMCP_AUTH_IDENTITY_MAX || !no_controls(id))) {
        problem(L, nodes[F_IDENTITY], "identity must be 1 to %d characters without control characters",
                PCFMCP_AUTH_IDENTITY_MAX - 1);
        id = NULL;
    }
    if (!id)
        bad = true;
    entry e = { NULL, NULL, NULL, NULL };
    e.token = value_of(L, nodes, F_TOKEN, F_TOKEN_FILE, &bad);
    e.email = value_of(L, nodes, F_EMAIL, F_EMAIL_FILE, &bad);
    e.password = value_of(L, nodes, F_PASSWORD, F_PASSWORD_FILE, &bad);
    if (!bad && !L->nomem) {
        if (!e.email != !e.password) {
            problem(L, item, "identity \"%.64s\": email and password go together", id);
            bad = true;
        } else if (!e.token && !e.email) {
            problem(L, item, "identity \"%.64s\" needs a token or an email and password", id);
            bad = true;
        }
    }
    if (!bad && !L->nomem && !pcfmcp__has_prefix(id, "key:") && !pcfmcp__has_prefix(id, "jwt:"))
        pcfmcp__buf_printf(&L->warnings,
                           "%s:%zu: identity \"%.64s\" starts with neither key: nor jwt:, so no "
                           "authenticated caller will match it\n",
                           L->path, nodes[F_IDENTITY]->start_mark.line + 1, id);
    if (!bad && !L->nomem && !(e.identity = pcfmcp__strdup(id)))
        L->nomem = true;
    if (bad || L->nomem) {
        entry_wipe(&e);
        return;
    }
    if (L->n >= ENTRIES_MAX) {
        problem(L, item, "more than %d identities", ENTRIES_MAX);
        entry_wipe(&e);
        return;
    }
    if (L->n == L->cap) {
        size_t ncap = L->cap ? L->cap * 2 : 16;
        entry *ne = pcfmcp__realloc(L->e, ncap * sizeof(*ne));
        if (ne)
            L->e = ne;
        size_t *nl = ne ? pcfmcp__realloc(L->lines, ncap * sizeof(*nl)) : NULL;
        if (nl)
            L->lines = nl;
        if (!ne || !nl) {
            L->nomem = true;
            entry_wipe(&e);
            return;
        }
        L->cap = ncap;
    }
    L->lines[L->n] = nodes[F_IDENTITY]->start_mark.line + 1;
    L->e[L->n++] = e;
}

static void parse_root(loader *L, const yaml_node_t *root)
{
    if (!root)
        return; /* an empty file maps nobody */
    if (root->type != YAML_MAPPING_NODE) {
        problem(L, root, "the file must be a mapping with an identities: list");
        return;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
        const char *name = scalar(L, k, "a top-level key");
        if (!name)
            continue;
        if (strcmp(name, "identities") != 0) {
            problem(L, k, "unknown key \"%.64s\" (expected identities)", name);
            continue;
        }
        if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0)
            continue; /* "identities:" with nothing under it */
        if (v->type != YAML_SEQUENCE_NODE) {
            problem(L, v, "identities must be a list");
            continue;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start;
             it < v->data.sequence.items.top && !L->nomem; it++)
            parse_entry(L, yaml_document_get_node(L->doc, *it));
    }
}

typedef struct {
    entry e;
    size_t line;
} sortable;

static int by_identity(const void *a, const void *b)
{
    const sortable *x = a, *y = b;
    int c = strcmp(x->e.identity, y->e.identity);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Sorts the entries for lookup and reports duplicate identities. */
static void sort_entries(loader *L)
{
    if (L->n < 2)
        return;
    sortable *tmp = pcfmcp__malloc(L->n * sizeof(*tmp));
    if (!tmp) {
        L->nomem = true;
        return;
    }
    for (size_t i = 0; i < L->n; i++)
        tmp[i] = (sortable){ L->e[i], L->lines[i] };
    qsort(tmp, L->n, sizeof(*tmp), by_identity);
    for (size_t i = 0; i < L->n; i++) {
        L->e[i] = tmp[i].e;
        L->lines[i] = tmp[i].line;
    }
    pcfmcp__free(tmp);
    for (size_t i = 1; i < L->n; i++)
        if (strcmp(L->e[i].identity, L->e[i - 1].identity) == 0 && ++L->nerrors <= MAX_ERRORS)
            pcfmcp__buf_printf(&L->errors, "%s:%zu: duplicate identity \"%.64s\" (first on line %zu)\n",
                               L->path, L->lines[i], L->e[i].identity, L->lines[i - 1]);
}

static void loader_free(loader *L)
{
    for (size_t i = 0; i < L->n; i++)
        entry_wipe(&L->e[i]);
    pcfmcp__free(L->e);
    pcfmcp__free(L->lines);
    pcfmcp__buf_free(&L->errors);
    pcfmcp__buf_free(&L->warnings);
}

/* Parses the whole file into L; returns PCFMCP_OK or the error class. */
static pcfmcp_error_t parse_file(loader *L, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return PCFMCP_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (parser.error == YAML_MEMORY_ERROR) {
            yaml_parser_delete(&parser);
            return PCFMCP_ERR_NOMEM;
        }
        L->nerrors++;
        pcfmcp__buf_printf(&L->errors, "%s:%zu: YAML syntax error: %s\n", L->path,
                           parser.problem_mark.line + 1, parser.problem ? parser.problem : "unknown");
        yaml_parser_delete(&parser);
        return PCFMCP_ERR_CONFIG;
    }
    L->doc = &doc;
    parse_root(L, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    /* A second document would be silently ignored otherwise. */
    if (!L->nomem && yaml_parser_load(&parser, &doc)) {
        if (yaml_document_get_root_node(&doc))
            problem(L, NULL, "holds more than one YAML document");
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    L->doc = NULL;
    if (!L->nomem)
        sort_entries(L);
    if (L->nomem || !pcfmcp__buf_ok(&L->errors))
        return PCFMCP_ERR_NOMEM;
    if (L->nerrors > MAX_ERRORS)
        pcfmcp__buf_printf(&L->errors, "%s: %u more problems not shown\n", L->path,
                           L->nerrors - MAX_ERRORS);
    if (L->nerrors)
        return L->n >= ENTRIES_MAX ? PCFMCP_ERR_LIMIT : PCFMCP_ERR_CONFIG;
    return PCFMCP_OK;
}

/* ----------------------------------------------------------------- API */

PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_new(pcfmcp_identity_map_t **out,
                                                  pcfmcp_logger_t *logger)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_identity_map_t *m = pcfmcp__calloc(1, sizeof(*m));
    if (!m)
        return PCFMCP_ERR_NOMEM;
    m->lg = pcfmcp_logger_ref(logger);
    pthread_mutex_init(&m->conf_lock, NULL);
    pthread_mutex_init(&m->swap_lock, NULL);
    atomic_init(&m->require, 0);
    atomic_init(&m->generation, 0);
    *out = m;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_identity_map_free(pcfmcp_identity_map_t *m)
{
    if (!m)
        return;
    snap_unref(m->snap);
    pthread_mutex_destroy(&m->conf_lock);
    pthread_mutex_destroy(&m->swap_lock);
    pcfmcp_logger_unref(m->lg);
    pcfmcp__free(m);
}

PCFMCP_API const char *pcfmcp_identity_map_errmsg(const pcfmcp_identity_map_t *m)
{
    if (!m)
        return "no identity map";
    return pcfmcp__errmsg(m);
}

static void log_lines(pcfmcp_identity_map_t *m, const pcfmcp__buf *b)
{
    if (!b->len || !pcfmcp__buf_ok(b))
        return;
    for (const char *p = b->data; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        PCFMCP_LOG(m->lg, PCFMCP_LOG_WARN, "auth", "%.*s", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

/* Redaction must be in place before anything can log these values. */
static pcfmcp_error_t register_secrets(pcfmcp_identity_map_t *m, const snapshot *s)
{
    if (!m->lg)
        return PCFMCP_OK;
    bool full = false;
    for (size_t i = 0; i < s->n; i++) {
        const char *secrets[2] = { s->e[i].token, s->e[i].password };
        for (size_t k = 0; k < 2; k++) {
            if (!secrets[k])
                continue;
            pcfmcp_error_t rc = pcfmcp_logger_add_secret(m->lg, secrets[k]);
            if (rc == PCFMCP_ERR_NOMEM)
                return rc;
            full |= rc == PCFMCP_ERR_LIMIT;
        }
    }
    if (full)
        PCFMCP_LOG(m->lg, PCFMCP_LOG_WARN, "auth",
                   "the logger's list of secrets is full: some PCF credentials of the identity "
                   "map are not redacted from logs");
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_load(pcfmcp_identity_map_t *m, const char *path,
                                                   size_t *out_count)
{
    if (!m || (path && !path[0]))
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&m->conf_lock);
    bool said = false; /* the failure has its message already */
    loader L = { .m = m, .path = path };
    pcfmcp__buf_init(&L.errors);
    pcfmcp__buf_init(&L.warnings);
    pcfmcp_error_t rc = PCFMCP_OK;
    snapshot *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s) {
        rc = PCFMCP_ERR_NOMEM;
        goto out;
    }
    atomic_init(&s->refs, 1);
    if (path) {
        char *text = NULL;
        size_t len = 0;
        int err = pcfmcp__read_file(path, MAP_FILE_MAX, false, &text, &len);
        if (err == ENOMEM) {
            rc = PCFMCP_ERR_NOMEM;
            goto out;
        }
        if (err) {
            rc = pcfmcp__fail(m, err == EFBIG ? PCFMCP_ERR_LIMIT : PCFMCP_ERR_IO,
                              "%s: cannot read: %s", path,
                              err == EFBIG ? "larger than 1 MiB" : strerror(err));
            said = true;
            goto out;
        }
        warn_mode(&L, path, "identity map");
        rc = parse_file(&L, text, len);
        pcfmcp__secure_zero(text, len);
        pcfmcp__free(text);
        log_lines(m, &L.warnings);
        if (rc != PCFMCP_OK)
            goto out;
        s->n = L.n;
        s->e = L.e;
        L.e = NULL;
        L.n = 0;
    }
    if ((rc = register_secrets(m, s)) != PCFMCP_OK)
        goto out;
    size_t n = s->n;
    pthread_mutex_lock(&m->swap_lock);
    snapshot *old = m->snap;
    m->snap = s;
    pthread_mutex_unlock(&m->swap_lock);
    s = NULL;
    snap_unref(old);
    atomic_fetch_add(&m->generation, 1);
    PCFMCP_LOG(m->lg, PCFMCP_LOG_INFO, "auth", "identity map: %zu identities from %s", n,
               path ? path : "(none)");
    if (out_count)
        *out_count = n;
out:
    if (rc != PCFMCP_OK && !said) {
        if (rc == PCFMCP_ERR_NOMEM || !L.errors.len || !pcfmcp__buf_ok(&L.errors)) {
            pcfmcp__fail(m, rc, "%s",
                         rc == PCFMCP_ERR_NOMEM ? "out of memory" : "invalid identity map");
        } else {
            size_t len = L.errors.len;
            while (len && L.errors.data[len - 1] == '\n')
                len--;
            pcfmcp__fail(m, rc, "%.*s", (int)len, L.errors.data);
        }
    }
    snap_unref(s);
    loader_free(&L);
    pthread_mutex_unlock(&m->conf_lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_set_require_mapping(pcfmcp_identity_map_t *m,
                                                                  int require)
{
    if (!m)
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&m->require, require ? 1 : 0);
    return PCFMCP_OK;
}

PCFMCP_API int pcfmcp_identity_map_require_mapping(const pcfmcp_identity_map_t *m)
{
    return m ? atomic_load(&((pcfmcp_identity_map_t *)m)->require) : 0;
}

PCFMCP_API size_t pcfmcp_identity_map_count(const pcfmcp_identity_map_t *m)
{
    if (!m)
        return 0;
    snapshot *s = acquire(m);
    size_t n = s ? s->n : 0;
    snap_unref(s);
    return n;
}

PCFMCP_API unsigned long pcfmcp_identity_map_generation(const pcfmcp_identity_map_t *m)
{
    return m ? atomic_load(&((pcfmcp_identity_map_t *)m)->generation) : 0;
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp(key, ((const entry *)elem)->identity);
}

PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_lookup(const pcfmcp_identity_map_t *m,
                                                     const char *identity,
                                                     pcfmcp_credentials_t **out)
{
    if (!m || !identity || !out)
        return PCFMCP_ERR_INVALID_ARG;
    snapshot *s = acquire(m);
    const entry *e = s && s->n ? bsearch(identity, s->e, s->n, sizeof(entry), cmp_key) : NULL;
    if (!e) {
        snap_unref(s);
        return pcfmcp_identity_map_require_mapping(m) ? PCFMCP_ERR_DENIED : PCFMCP_ERR_NOT_FOUND;
    }
    pcfmcp_credentials_t *c = pcfmcp__calloc(1, sizeof(*c));
    bool ok = c && (!e->token || (c->token = pcfmcp__strdup(e->token))) &&
              (!e->email || (c->email = pcfmcp__strdup(e->email))) &&
              (!e->password || (c->password = pcfmcp__strdup(e->password)));
    snap_unref(s);
    if (!ok) {
        pcfmcp_credentials_free(c);
        return PCFMCP_ERR_NOMEM;
    }
    *out = c;
    return PCFMCP_OK;
}

PCFMCP_API const char *pcfmcp_credentials_token(const pcfmcp_credentials_t *c)
{
    return c ? c->token : NULL;
}

PCFMCP_API const char *pcfmcp_credentials_email(const pcfmcp_credentials_t *c)
{
    return c ? c->email : NULL;
}

PCFMCP_API const char *pcfmcp_credentials_password(const pcfmcp_credentials_t *c)
{
    return c ? c->password : NULL;
}

PCFMCP_API void pcfmcp_credentials_free(pcfmcp_credentials_t *c)
{
    if (!c)
        return;
    pcfmcp__secure_free(c->token);
    pcfmcp__free(c->email);
    pcfmcp__secure_free(c->password);
    pcfmcp__free(c);
}
