/* Paging cursors, criticality mapping and name matching: the pure parts of
 * the toolset, kept apart so the unit tests can drive them without PCF. */
#include "core/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/toolset.h"

/* ------------------------------------------------------------ cursors */

/* A cursor names the tool, the offset and a digest of the filter arguments
 * (everything except limit and cursor), so a cursor cannot be replayed
 * against another query and silently skip or repeat items. */
static bool args_digest(const cJSON *args, char out[17])
{
    cJSON *copy = args ? cJSON_Duplicate(args, true) : cJSON_CreateObject();
    if (!copy)
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "cursor");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "limit");
    /* Member order must not matter: sort by name before hashing. */
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    size_t n = (size_t)cJSON_GetArraySize(copy);
    const cJSON **items = n ? pcfmcp__calloc(n, sizeof(*items)) : NULL;
    if (n && !items) {
        cJSON_Delete(copy);
        return false;
    }
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, copy) {
        if (k < n) /* n counted these members: the bound only makes it visible */
            items[k++] = it;
    }
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(items[j - 1]->string, items[j]->string) > 0; j--) {
            const cJSON *t = items[j];
            items[j] = items[j - 1];
            items[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++) {
        pcfmcp__buf_json_string(&b, items[i]->string, strlen(items[i]->string));
        pcfmcp__buf_putc(&b, ':');
        pcfmcp__json_append(&b, items[i]);
        pcfmcp__buf_putc(&b, ',');
    }
    pcfmcp__free(items);
    cJSON_Delete(copy);
    char hex[65];
    bool ok = pcfmcp__buf_ok(&b) &&
              pcfmcp__sha256_hex(b.data ? b.data : "", b.len, hex) == 0;
    pcfmcp__buf_free(&b);
    if (!ok)
        return false;
    memcpy(out, hex, 16);
    out[16] = '\0';
    return true;
}

char *pcfmcp__tools_cursor_encode(const char *tool, size_t offset, const cJSON *args)
{
    char digest[17];
    if (!tool || !args_digest(args, digest))
        return NULL;
    char raw[256];
    int n = snprintf(raw, sizeof(raw), "v1|%s|%zu|%s", tool, offset, digest);
    if (n < 0 || (size_t)n >= sizeof(raw))
        return NULL;
    return pcfmcp__base64url_encode(raw, (size_t)n, NULL);
}

bool pcfmcp__tools_cursor_decode(const char *cursor, const char *tool, const cJSON *args,
                                 size_t *offset)
{
    if (!cursor || !tool || strlen(cursor) > 340)
        return false;
    size_t len = 0;
    char *raw = pcfmcp__base64url_decode(cursor, strlen(cursor), &len);
    if (!raw)
        return false;
    char text[256];
    if (len >= sizeof(text)) {
        pcfmcp__free(raw);
        return false;
    }
    memcpy(text, raw, len);
    text[len] = '\0';
    pcfmcp__free(raw);
    char *parts[4];
    char *save = NULL, *p = text;
    int k = 0;
    for (char *t = strtok_r(p, "|", &save); t && k < 4; t = strtok_r(NULL, "|", &save))
        parts[k++] = t;
    if (k != 4 || strcmp(parts[0], "v1") != 0 || strcmp(parts[1], tool) != 0)
        return false;
    char *end = NULL;
    unsigned long long off = strtoull(parts[2], &end, 10);
    if (!end || *end || !isdigit((unsigned char)parts[2][0]) || off > 100000000ULL)
        return false;
    char digest[17];
    if (!args_digest(args, digest) || strcmp(digest, parts[3]) != 0)
        return false;
    *offset = (size_t)off;
    return true;
}

/* ------------------------------------------------------------ criticality */

/* PCF has no criticality field: it derives one from the CVSS score, with
 * these comparisons everywhere it does (system/db.py's statistics and
 * per-port counts, the issue rules in routes/api/v1/routes.py and
 * routes/ui/project.py, the colours of its templates). A score between x.9
 * and the next whole number (3.95) therefore belongs to the higher band.
 * This is the one place pcf-mcp maps a score; everything else calls it. */
const char *pcfmcp__tools_criticality(double cvss)
{
    if (cvss == 0.0)
        return "info";
    if (cvss <= 3.9)
        return "low";
    if (cvss <= 6.9)
        return "medium";
    if (cvss <= 8.9)
        return "high";
    return "critical";
}

static const char *const crit_names[] = { "info", "low", "medium", "high", "critical" };
/* The scores PCF's own issue form offers for each criticality. */
static const double crit_cvss[] = { 0.0, 2.0, 5.0, 8.0, 9.5 };

int pcfmcp__tools_criticality_rank(const char *crit)
{
    for (int i = 0; crit && i < (int)PCFMCP_ARRAY_LEN(crit_names); i++)
        if (strcmp(crit, crit_names[i]) == 0)
            return i;
    return -1;
}

double pcfmcp__tools_criticality_cvss(const char *crit)
{
    int r = pcfmcp__tools_criticality_rank(crit);
    return r < 0 ? 0.0 : crit_cvss[r];
}

/* ------------------------------------------------------------ matching */

bool pcfmcp__tools_icontains(const char *hay, const char *needle)
{
    if (!needle || !*needle)
        return true;
    if (!hay)
        return false;
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] &&
               tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static void list_candidates(pcfmcp__mtext *why, const cJSON **c, size_t n)
{
    for (size_t i = 0; i < n && i < 20; i++)
        MT_FMT(why, "{}{} ({})", MA_IF(i, ", ", ""), MA_Q(pcfmcp__json_str(c[i], "name")),
               MA_ID(pcfmcp__json_str(c[i], "id")));
    if (n > 20)
        MT_FMT(why, " and {} more", MA_INT(n - 20));
}

const cJSON *pcfmcp__tools_match_project(const cJSON *projects, const char *given,
                                         pcfmcp__mtext *why)
{
    const cJSON *p;
    size_t total = (size_t)cJSON_GetArraySize(projects);
    if (!given || !*given) {
        MT_LIT(why, "no project given");
        return NULL;
    }
    cJSON_ArrayForEach(p, projects) {
        const char *id = pcfmcp__json_str(p, "id");
        if (id && pcfmcp__strcaseeq(id, given))
            return p;
    }
    const cJSON **hits = total ? pcfmcp__calloc(total, sizeof(*hits)) : NULL;
    if (total && !hits) {
        MT_LIT(why, "out of memory");
        return NULL;
    }
    /* hits has one slot per project (total counted them); the bounds in
     * the loops only make that visible. A byte-exact name wins; then a
     * case-insensitive one; then a unique part of a name. */
    size_t nexact = 0, nsame = 0, nsub = 0;
    cJSON_ArrayForEach(p, projects) {
        const char *name = pcfmcp__json_str(p, "name");
        if (nexact < total && name && strcmp(name, given) == 0)
            hits[nexact++] = p;
    }
    if (nexact == 0) {
        cJSON_ArrayForEach(p, projects) {
            const char *name = pcfmcp__json_str(p, "name");
            if (nsame < total && name && pcfmcp__strcaseeq(name, given))
                hits[nsame++] = p;
        }
    }
    if (nexact == 0 && nsame == 0) {
        cJSON_ArrayForEach(p, projects) {
            const char *name = pcfmcp__json_str(p, "name");
            if (nsub < total && name && pcfmcp__tools_icontains(name, given))
                hits[nsub++] = p;
        }
    }
    const cJSON *found = NULL;
    size_t n = nexact ? nexact : nsame ? nsame : nsub;
    if (n == 1) {
        found = hits[0];
    } else if (n > 1) {
        MT_FMT(why, "project {} is ambiguous: it matches {} projects: ", MA_Q(given), MA_INT(n));
        list_candidates(why, hits, n);
        MT_LIT(why, ". Pass the exact name or the UUID.");
    } else {
        size_t k = 0;
        cJSON_ArrayForEach(p, projects) {
            if (k < total)
                hits[k++] = p;
        }
        MT_FMT(why, "no project matches {}. ", MA_Q(given));
        if (k) {
            MT_LIT(why, "Projects you can use: ");
            list_candidates(why, hits, k);
            MT_LIT(why, ".");
        } else {
            MT_LIT(why, "This PCF account sees no project you may use.");
        }
    }
    pcfmcp__free(hits);
    return found;
}
