/* The one JSON parse entry (pcfmcp__json_parse) every peer-supplied document
 * goes through. Property: no parsed string, member name or value, is shorter
 * than its JSON text says; a string that escapes U+0000 (which C strings
 * would cut at) is refused with its offset instead. And the one table of
 * JSON-RPC error codes: no revision gets a code it forbids. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "mcp/jsonrpc.h"

/* A tiny deterministic generator, so a failure can be replayed. */
static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng_state >> 33) % n);
}

typedef struct {
    char text[4096];  /* JSON text of the string, quotes included */
    size_t tlen;
    char value[4096]; /* what it decodes to (UTF-8) */
    size_t vlen;
    size_t nul_at;    /* offset of the first \u0000 in text, or SIZE_MAX */
} jstr;

static void put_text(jstr *s, const char *t)
{
    size_t n = strlen(t);
    memcpy(s->text + s->tlen, t, n);
    s->tlen += n;
}

static void put_utf8(jstr *s, unsigned cp)
{
    unsigned char *o = (unsigned char *)s->value + s->vlen;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        s->vlen += 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        s->vlen += 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        s->vlen += 3;
    } else {
        o[0] = (unsigned char)(0xF0 | (cp >> 18));
        o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        s->vlen += 4;
    }
}

/* A random JSON string mixing raw text, every escape form, escaped
 * backslashes followed by "u0000" (not a NUL) and, with @p allow_nul, the
 * \u0000 escape itself. */
static void gen_string(jstr *s, size_t base, int allow_nul)
{
    s->tlen = s->vlen = 0;
    s->nul_at = SIZE_MAX;
    put_text(s, "\"");
    unsigned parts = rnd(12);
    for (unsigned i = 0; i < parts; i++) {
        char esc[16];
        switch (rnd(9)) {
        case 0: { /* plain ASCII */
            char c = (char)('a' + rnd(26));
            s->text[s->tlen++] = c;
            s->value[s->vlen++] = c;
            break;
        }
        case 1: /* raw two-byte UTF-8 */
            put_text(s, "\xc3\xa9");
            put_utf8(s, 0xE9);
            break;
        case 2: { /* short escapes */
            static const char *const e[] = { "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r" };
            static const char d[] = { '\n', '\t', '"', '\\', '/', '\b', '\f', '\r' };
            unsigned k = rnd(8);
            put_text(s, e[k]);
            s->value[s->vlen++] = d[k];
            break;
        }
        case 3: { /* \uXXXX of a non-zero BMP code point outside the surrogates */
            unsigned cp;
            do
                cp = 1 + rnd(0xFFFF);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            snprintf(esc, sizeof(esc), "\\u%04X", cp);
            put_text(s, esc);
            put_utf8(s, cp);
            break;
        }
        case 4: { /* a surrogate pair */
            unsigned cp = 0x10000 + rnd(0x100000);
            snprintf(esc, sizeof(esc), "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                     0xDC00 + ((cp - 0x10000) & 0x3FF));
            put_text(s, esc);
            put_utf8(s, cp);
            break;
        }
        case 5: /* an escaped backslash, then the letters u0000: no NUL */
            put_text(s, "\\\\u0000");
            memcpy(s->value + s->vlen, "\\u0000", 6);
            s->vlen += 6;
            break;
        case 6: /* the low control characters other than NUL, escaped */
            snprintf(esc, sizeof(esc), "\\u%04x", 1 + rnd(0x1F));
            put_text(s, esc);
            put_utf8(s, (unsigned)strtoul(esc + 2, NULL, 16));
            break;
        default:
            if (allow_nul && rnd(3) == 0) {
                if (s->nul_at == SIZE_MAX)
                    s->nul_at = base + s->tlen;
                put_text(s, "\\u0000");
                s->value[s->vlen++] = '\0';
            }
            break;
        }
    }
    put_text(s, "\"");
    s->text[s->tlen] = '\0';
}

/* @p got is @p want's value with each NUL as U+FFFD. */
static void expect_marked(const char *got, const jstr *want)
{
    char exp[8192];
    size_t n = 0;
    for (size_t i = 0; i < want->vlen; i++) {
        if (want->value[i] == '\0') {
            memcpy(exp + n, "\xef\xbf\xbd", 3);
            n += 3;
        } else {
            exp[n++] = want->value[i];
        }
    }
    ck_assert_uint_eq(strlen(got), n);
    ck_assert(memcmp(got, exp, n) == 0);
}

START_TEST(json_parsed_strings_are_never_shorter_than_their_text)
{
    rng_state = 0x5eed0000ULL + (unsigned long long)_i;
    for (int round = 0; round < 2000; round++) {
        /* {"<key>":"<value>","n":[<value2>]}: member names, values and array items. */
        jstr k, v, w;
        static char doc[16384];
        size_t off = 0;
        doc[off++] = '{';
        gen_string(&k, off, 1);
        memcpy(doc + off, k.text, k.tlen);
        off += k.tlen;
        doc[off++] = ':';
        gen_string(&v, off, 1);
        memcpy(doc + off, v.text, v.tlen);
        off += v.tlen;
        memcpy(doc + off, ",\"n\":[", 6);
        off += 6;
        gen_string(&w, off, 1);
        memcpy(doc + off, w.text, w.tlen);
        off += w.tlen;
        memcpy(doc + off, "]}", 2);
        off += 2;
        size_t first_nul = k.nul_at < v.nul_at ? k.nul_at : v.nul_at;
        if (w.nul_at < first_nul)
            first_nul = w.nul_at;
        cJSON *j = NULL;
        size_t err = 0;
        pcfmcp__json_status st = pcfmcp__json_parse(doc, off, 8, &j, &err);
        if (first_nul != SIZE_MAX) {
            ck_assert_msg(st == PCFMCP__JSON_NUL, "round %d: accepted a NUL: %.*s", round, (int)off, doc);
            ck_assert_uint_eq(err, first_nul);
            ck_assert_ptr_null(j);
            /* PCF's documents: every NUL shows as U+FFFD, nothing is cut. */
            ck_assert_int_eq(pcfmcp__json_parse_marking_nul(doc, off, 8, &j, &err), PCFMCP__JSON_OK);
            const cJSON *m = j->child;
            expect_marked(m->string, &k);
            expect_marked(m->valuestring, &v);
            expect_marked(cJSON_GetArrayItem(m->next, 0)->valuestring, &w);
            cJSON_Delete(j);
            continue;
        }
        ck_assert_msg(st == PCFMCP__JSON_OK, "round %d: %s at %zu in %.*s", round,
                      pcfmcp__json_status_text(st), err, (int)off, doc);
        ck_assert_ptr_nonnull(j->child);
        const cJSON *first = j->child;
        ck_assert_uint_eq(strlen(first->string), k.vlen);
        ck_assert(memcmp(first->string, k.value, k.vlen) == 0);
        ck_assert_uint_eq(strlen(first->valuestring), v.vlen);
        ck_assert(memcmp(first->valuestring, v.value, v.vlen) == 0);
        const cJSON *item = cJSON_GetArrayItem(first->next, 0);
        ck_assert_uint_eq(strlen(item->valuestring), w.vlen);
        ck_assert(memcmp(item->valuestring, w.value, w.vlen) == 0);
        cJSON_Delete(j);
    }
}
END_TEST

START_TEST(json_nul_escape_is_refused_with_a_clear_reason)
{
    static const char doc[] = "{\"output_path\":\"a\\u0000b.md\"}";
    cJSON *j = NULL;
    size_t err = 0;
    ck_assert_int_eq(pcfmcp__json_parse(doc, strlen(doc), 8, &j, &err), PCFMCP__JSON_NUL);
    ck_assert_uint_eq(err, 17);
    ck_assert_ptr_nonnull(strstr(pcfmcp__json_status_text(PCFMCP__JSON_NUL), "U+0000"));
    /* Only inside strings, and not an escaped backslash before "u0000". */
    static const char fine[] = "{\"a\":\"\\\\u0000\"}";
    ck_assert_int_eq(pcfmcp__json_parse(fine, strlen(fine), 8, &j, &err), PCFMCP__JSON_OK);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "a")->valuestring, "\\u0000");
    cJSON_Delete(j);
    ck_assert_ptr_null(pcfmcp__json_parse_object(doc, strlen(doc)));
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: an empty answer from PCF reaches the parser
 * as (NULL, 0), and looking for NUL bytes in it passed NULL to memchr(),
 * which is undefined even for zero bytes (UBSan stops there). No bytes is
 * not JSON, whatever pointer comes with them. */
START_TEST(json_no_bytes_at_all_is_a_syntax_error)
{
    cJSON *j = NULL;
    size_t err = 99;
    ck_assert_int_eq(pcfmcp__json_parse(NULL, 0, 8, &j, &err), PCFMCP__JSON_SYNTAX);
    ck_assert_ptr_null(j);
    ck_assert_uint_eq(err, 0);
    ck_assert_int_eq(pcfmcp__json_parse_marking_nul(NULL, 0, 8, &j, NULL), PCFMCP__JSON_SYNTAX);
    ck_assert_ptr_null(j);
}
END_TEST

/* A peer's member compared with a text: a missing member, one of another
 * type, a NULL text and a NULL object are "not equal", never a NULL read. */
START_TEST(json_str_is_is_false_for_what_is_not_that_string)
{
    cJSON *j = pcfmcp__json_parse_text(
        "{\"id\":\"h1\",\"n\":7,\"o\":{},\"nul\":null,\"e\":\"\",\"a\":[\"h1\"]}", 8);
    ck_assert_ptr_nonnull(j);
    ck_assert(pcfmcp__json_str_is(j, "id", "h1"));
    ck_assert(!pcfmcp__json_str_is(j, "id", "h2"));
    ck_assert(!pcfmcp__json_str_is(j, "id", "h"));
    ck_assert(!pcfmcp__json_str_is(j, "id", "h1 "));
    ck_assert(!pcfmcp__json_str_is(j, "ID", "h1"));
    ck_assert(!pcfmcp__json_str_is(j, "id", NULL));
    ck_assert(!pcfmcp__json_str_is(j, "missing", "h1"));
    ck_assert(!pcfmcp__json_str_is(j, "n", "7"));
    ck_assert(!pcfmcp__json_str_is(j, "o", ""));
    ck_assert(!pcfmcp__json_str_is(j, "nul", "null"));
    ck_assert(!pcfmcp__json_str_is(j, "a", "h1"));
    ck_assert(pcfmcp__json_str_is(j, "e", ""));
    ck_assert(!pcfmcp__json_str_is(NULL, "id", "h1"));
    /* Two members that are both missing are not "equal". */
    ck_assert(!pcfmcp__json_str_is(j, "missing", pcfmcp__json_str(j, "other")));
    cJSON_Delete(j);
}
END_TEST

START_TEST(json_integers_beyond_2_53_keep_their_digits)
{
    static const char doc[] = " { \"a\" : [ 1 , {\"b\":\"x\\\"y:[,\", \"c\":12345678901234567890 } , [ ] , { } ] ,"
                              "\"a\":-98765432109876543210,\"d\":1.5e300,\"e\":true,\"f\":9007199254740992,"
                              "\"g\":null,\"h\":9007199254740993 } ";
    cJSON *j = NULL;
    /* The duplicate "a" is refused from peers; PCF documents keep both. */
    ck_assert_int_eq(pcfmcp__json_parse(doc, strlen(doc), 8, &j, NULL), PCFMCP__JSON_DUPLICATE);
    ck_assert_int_eq(pcfmcp__json_parse_marking_nul(doc, strlen(doc), 8, &j, NULL), PCFMCP__JSON_OK);
    const cJSON *a = j->child;
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "c");
    ck_assert_str_eq(c->valuestring, "12345678901234567890");
    ck_assert(pcfmcp__json_is_integer(c));
    ck_assert_str_eq(a->next->valuestring, "-98765432109876543210"); /* the duplicate "a" */
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "d")->valuestring); /* not an integer literal */
    ck_assert(!pcfmcp__json_is_integer(cJSON_GetObjectItem(j, "d")));
    ck_assert_str_eq(cJSON_GetObjectItem(j, "f")->valuestring, "9007199254740992");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "h")->valuestring, "9007199254740993");
    ck_assert_ptr_null(cJSON_GetArrayItem(a, 0)->valuestring);
    cJSON *copy = pcfmcp__json_dup_exact(cJSON_GetObjectItem(j, "h"));
    char *text = cJSON_PrintUnformatted(copy);
    ck_assert_str_eq(text, "9007199254740993");
    cJSON_free(text);
    cJSON_Delete(copy);
    cJSON_Delete(j);
}
END_TEST

START_TEST(json_duplicate_member_names_are_refused)
{
    /* Peers parse duplicates differently (most keep the last, cJSON the
     * first): a gateway, an audit trail or a JWT check could read another
     * method, tool or claim than the one served. RFC 7493 (I-JSON) forbids
     * them; RFC 7519 lets a JWT parser only refuse them or keep the last. */
    static const char *const bad[] = {
        "{\"id\":1,\"id\":2}",
        "{\"method\":\"ping\",\"x\":0,\"method\":\"tools/call\"}",
        "{\"params\":{\"name\":\"list_projects\",\"name\":\"delete_project\"}}",
        "[1,{\"a\":[{\"b\":1,\"c\":2,\"b\":3}]}]",
        "{\"a\":1,\"\\u0061\":2}", /* the same name, once escaped */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *j = NULL;
        ck_assert_msg(pcfmcp__json_parse(bad[i], strlen(bad[i]), 8, &j, NULL) == PCFMCP__JSON_DUPLICATE,
                      "accepted %s", bad[i]);
        ck_assert_ptr_null(j);
        ck_assert_ptr_null(pcfmcp__json_parse_object(bad[i], strlen(bad[i])));
    }
    ck_assert_ptr_nonnull(strstr(pcfmcp__json_status_text(PCFMCP__JSON_DUPLICATE), "twice"));
    /* The same name in different objects, and a large object, are fine. */
    static const char fine[] = "{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}],\"A\":0}";
    cJSON *j = NULL;
    ck_assert_int_eq(pcfmcp__json_parse(fine, strlen(fine), 8, &j, NULL), PCFMCP__JSON_OK);
    cJSON_Delete(j);
    pcfmcp__buf big;
    pcfmcp__buf_init(&big);
    pcfmcp__buf_putc(&big, '{');
    for (int i = 0; i < 20000; i++)
        pcfmcp__buf_printf(&big, "%s\"k%d\":%d", i ? "," : "", i, i);
    pcfmcp__buf_putc(&big, '}');
    ck_assert_int_eq(pcfmcp__json_parse(big.data, big.len, 8, &j, NULL), PCFMCP__JSON_OK);
    cJSON_Delete(j);
    big.data[big.len - 1] = ','; /* the closing brace becomes a duplicate */
    pcfmcp__buf_puts(&big, "\"k7\":1}");
    ck_assert_int_eq(pcfmcp__json_parse(big.data, big.len, 8, &j, NULL), PCFMCP__JSON_DUPLICATE);
    pcfmcp__buf_free(&big);
    /* PCF's own documents come from Python's json, which never repeats a
     * name: they are not searched. */
    ck_assert_int_eq(pcfmcp__json_parse_marking_nul(bad[0], strlen(bad[0]), 8, &j, NULL), PCFMCP__JSON_OK);
    cJSON_Delete(j);
}
END_TEST

START_TEST(rpc_codes_respect_each_revision)
{
    for (int err = 0; err >= -64; err--) {
        int modern = pcfmcp__rpc_code_for(err, true);
        int legacy = pcfmcp__rpc_code_for(err, false);
        /* 2026-07-28: nothing from the legacy sub-range, only the spec's own
         * codes from the reserved one, and never the retired -32002. */
        ck_assert_msg(!(modern <= -32000 && modern >= -32019), "error %d -> %d", err, modern);
        ck_assert_msg(!(modern <= -32020 && modern >= -32099) || modern == -32020 || modern == -32021 ||
                          modern == -32022,
                      "error %d -> %d", err, modern);
        ck_assert_int_ne(modern, -32002);
        /* Earlier revisions know nothing of -32020.. and keep their codes. */
        ck_assert_msg(!(legacy <= -32020 && legacy >= -32099), "error %d -> %d", err, legacy);
    }
    ck_assert_int_eq(pcfmcp__rpc_code_for(PCFMCP_ERR_RATE_LIMITED, false), -32001);
    ck_assert_int_eq(pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, false), -32000);
    ck_assert_int_eq(pcfmcp__rpc_code_for(PCFMCP_ERR_NOT_FOUND, false), -32002);
    ck_assert_int_eq(pcfmcp__rpc_code_for(PCFMCP_ERR_NOT_FOUND, true), -32602);
}
END_TEST

/* A random tree: every kind of node, numbers from integers to the edges of
 * doubles, strings with controls, quotes, backslashes and UTF-8. */
static cJSON *random_value(int depth)
{
    static const double nums[] = { 0, -0.0, 1, -1, 0.1, 1e300, -1e-300, 2147483647.0,
                                   2147483648.0, -2147483648.0, 1798416000, 123456789012345.0,
                                   9007199254740993.0, 3.14159265358979, 1.0 / 3.0, 1e21, 5e-324 };
    unsigned k = depth > 5 ? rnd(4) : rnd(6);
    switch (k) {
    case 0: return rnd(2) ? cJSON_CreateTrue() : cJSON_CreateFalse();
    case 1: return cJSON_CreateNull();
    case 2: {
        double d = rnd(3) ? nums[rnd(sizeof(nums) / sizeof(nums[0]))]
                          : (double)(int)rnd(100000) * (rnd(2) ? 1 : -1) / (double)(1 + rnd(7));
        return cJSON_CreateNumber(d);
    }
    case 3: {
        char str[64];
        size_t n = rnd(sizeof(str) - 4);
        for (size_t i = 0; i < n; i++) {
            static const char pool[] = "ab \"\\/\b\f\n\r\t\x01\x1f\x7f{}[]:,";
            str[i] = rnd(4) ? pool[rnd(sizeof(pool) - 1)] : (char)('A' + rnd(26));
        }
        str[n] = '\0';
        if (rnd(5) == 0 && n + 3 < sizeof(str))
            strcpy(str + n, "\xc3\xa9"); /* e acute */
        return cJSON_CreateString(str);
    }
    default: {
        bool obj = k == 4;
        cJSON *c = obj ? cJSON_CreateObject() : cJSON_CreateArray();
        unsigned n = rnd(5);
        for (unsigned i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof(key), i % 2 ? "k\"%u" : "key%u", i);
            if (obj)
                cJSON_AddItemToObject(c, key, random_value(depth + 1));
            else
                cJSON_AddItemToArray(c, random_value(depth + 1));
        }
        return c;
    }
    }
}

START_TEST(json_writer_writes_what_cjson_prints_byte_for_byte)
{
    rng_state = 0x5eedULL + (unsigned long long)_i;
    for (int round = 0; round < 300; round++) {
        cJSON *v = random_value(0);
        char *want = cJSON_PrintUnformatted(v);
        size_t len = 0;
        char *got = pcfmcp__json_print(v, &len);
        ck_assert_ptr_nonnull(want);
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, want);
        ck_assert_uint_eq(len, strlen(want));
        pcfmcp__buf b;
        pcfmcp__buf_init(&b);
        pcfmcp__buf_puts(&b, "x");
        ck_assert(pcfmcp__json_write(&b, v));
        ck_assert_str_eq(b.data + 1, want);
        pcfmcp__buf_free(&b);
        free(want);
        pcfmcp__free(got);
        cJSON_Delete(v);
    }
}
END_TEST

/* The checks pcfmcp__json_parse() made in four passes before it made them
 * in one, as they were: the reference the one pass must agree with. */
static int ref_depth(const char *s, size_t len)
{
    int depth = 0, max = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            max = ++depth > max ? depth : max;
        else if (c == '}' || c == ']')
            depth--;
    }
    return max;
}

static size_t ref_nul_escape(const char *s, size_t len)
{
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!in_str) {
            in_str = c == '"';
            continue;
        }
        if (c == '"') {
            in_str = false;
        } else if (c == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                return i;
            i++;
        }
    }
    return SIZE_MAX;
}

START_TEST(json_one_pass_refuses_what_the_four_passes_refused)
{
    static const char *const docs[] = {
        "{\"a\":[1,2,{\"b\":\"x\\\"y\"}],\"c\":\"\\u00e9\\u0000\"}",
        "[[[[[[[[[[[[1]]]]]]]]]]]]",
        "{\"s\":\"caf\xc3\xa9 \\\\u0000 \\\\\\u0000\",\"n\":12345678901234567890}",
        "\"\\\"[[[\\\\\\\"]]\"",
    };
    static const char noise[] = { '"', '\\', '[', '{', ']', '}', 'u', '0', 0, (char)0xc3,
                                  (char)0xa9, (char)0xff, (char)0x80, 'x', ',' };
    rng_state = 0xabcULL + (unsigned long long)_i;
    for (int round = 0; round < 3000; round++) {
        char s[256];
        const char *d = docs[rnd(sizeof(docs) / sizeof(docs[0]))];
        size_t n = strlen(d);
        memcpy(s, d, n);
        unsigned muts = rnd(4);
        for (unsigned m = 0; m < muts; m++)
            s[rnd((unsigned)n)] = noise[rnd(sizeof(noise))];
        int cap = 1 + (int)rnd(12);
        size_t bad = 0, off = 12345;
        pcfmcp__json_status want;
        if (!pcfmcp__utf8_valid(s, n, &bad))
            want = PCFMCP__JSON_UTF8;
        else if (ref_depth(s, n) > cap)
            want = PCFMCP__JSON_DEPTH;
        else if (memchr(s, 0, n))
            want = PCFMCP__JSON_SYNTAX, bad = (size_t)((char *)memchr(s, 0, n) - s);
        else if ((bad = ref_nul_escape(s, n)) != SIZE_MAX)
            want = PCFMCP__JSON_NUL;
        else
            continue; /* cJSON's part, unchanged */
        cJSON *out = NULL;
        pcfmcp__json_status got = pcfmcp__json_parse(s, n, cap, &out, &off);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(got, want);
        if (want != PCFMCP__JSON_DEPTH)
            ck_assert_uint_eq(off, bad);
    }
}
END_TEST

/* Random JSON text: valid documents in cJSON's broad sense (any byte up
 * to 32 as white space, escapes of every kind, numbers in every form strtod
 * takes), then some of them mutated. */
static void gen_text(char *out, size_t *n, size_t cap, int depth)
{
#define PUT(str) do { const char *s_ = (str); size_t l_ = strlen(s_); if (*n + l_ < cap) { memcpy(out + *n, s_, l_); *n += l_; } } while (0)
    static const char *const ws[] = { "", " ", "\n", "\t", "\r\n", "\x01", " \x1f " };
    static const char *const nums[] = { "0", "-0", "1", "-12", "3.25", "1e5", "1E-3", "-2.5e+10",
                                        "01", "1.", "12345678901234567890", "-9007199254740993",
                                        "9007199254740992", "1e400", "0.1", "123456789012345.6" };
    static const char *const strs[] = { "\"\"", "\"plain\"", "\"a\\\"b\\\\c\\/d\"",
                                        "\"\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u20AC\"",
                                        "\"\\ud83d\\ude00\"", "\"caf\xc3\xa9\"", "\"tab\there\"",
                                        "\"\\u0041\\u004a\"" };
    PUT(ws[rnd(7)]);
    unsigned k = depth > 4 ? rnd(5) : rnd(7);
    switch (k) {
    case 0: PUT(rnd(2) ? "true" : "false"); break;
    case 1: PUT("null"); break;
    case 2: PUT(nums[rnd(sizeof(nums) / sizeof(nums[0]))]); break;
    case 3:
    case 4: PUT(strs[rnd(sizeof(strs) / sizeof(strs[0]))]); break;
    default: {
        bool obj = k == 5;
        PUT(obj ? "{" : "[");
        unsigned m = rnd(4);
        for (unsigned i = 0; i < m; i++) {
            if (i)
                PUT(",");
            if (obj) {
                PUT(ws[rnd(7)]);
                PUT(strs[rnd(sizeof(strs) / sizeof(strs[0]))]);
                PUT(ws[rnd(7)]);
                PUT(":");
            }
            gen_text(out, n, cap, depth + 1);
        }
        PUT(ws[rnd(7)]);
        PUT(obj ? "}" : "]");
    }
    }
    PUT(ws[rnd(4)]);
#undef PUT
}

/* Same tree: types, names in order, strings byte for byte, numbers (and the
 * int cJSON derives), the last-item link cJSON appends through. */
static void same_tree(const cJSON *a, const cJSON *b)
{
    ck_assert_int_eq(a->type & 0xFF, b->type & 0xFF);
    ck_assert((a->string == NULL) == (b->string == NULL));
    if (a->string)
        ck_assert_str_eq(a->string, b->string);
    if (cJSON_IsString(a))
        ck_assert_str_eq(a->valuestring, b->valuestring);
    if (cJSON_IsNumber(a)) {
        ck_assert(a->valuedouble == b->valuedouble || (a->valuedouble != a->valuedouble &&
                                                       b->valuedouble != b->valuedouble));
        ck_assert_int_eq(a->valueint, b->valueint);
    }
    const cJSON *x = a->child, *y = b->child;
    if (x)
        ck_assert_ptr_nonnull(y->prev);
    for (; x && y; x = x->next, y = y->next) {
        same_tree(x, y);
        if (!x->next)
            ck_assert_ptr_eq(b->child->prev, y);
    }
    ck_assert(x == NULL && y == NULL);
}

/* Whether some object in @p t names a member twice (cJSON keeps both). */
static bool tree_has_duplicate(const cJSON *t)
{
    for (const cJSON *a = t ? t->child : NULL; a; a = a->next) {
        if (cJSON_IsObject(t))
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return true;
        if (tree_has_duplicate(a))
            return true;
    }
    return false;
}

/* Whether @p t has a \\u escape with fewer than four hex digits. */
static bool bad_u_escape(const char *t)
{
    for (const char *p = strstr(t, "\\u"); p; p = strstr(p + 1, "\\u"))
        for (int k = 2; k < 6; k++)
            if (!p[k] || !strchr("0123456789abcdefABCDEF", p[k]))
                return true;
    return false;
}

START_TEST(json_parser_builds_the_tree_cjson_builds)
{
    rng_state = 0x9a75e11ULL + (unsigned long long)_i;
    for (int round = 0; round < 2000; round++) {
        char text[2048];
        size_t n = 0;
        gen_text(text, &n, sizeof(text) - 1, 0);
        char orig[2048];
        memcpy(orig, text, n);
        size_t on = n;
        bool mutated = rnd(3) == 0;
        for (unsigned m = mutated ? 1 + rnd(2) : 0; m > 0 && n > 0; m--) {
            static const char noise[] = "\"\\{}[],:x0-eu";
            text[rnd((unsigned)n)] = noise[rnd(sizeof(noise) - 1)];
        }
        text[n] = '\0';
        const char *end = NULL;
        cJSON *want = cJSON_ParseWithLengthOpts(text, n, &end, false);
        if (want) {
            /* As pcfmcp__json_parse() always required: nothing after but JSON white space. */
            for (const char *t = end; t < text + n && want; t++)
                if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n')
                    cJSON_Delete(want), want = NULL;
        }
        cJSON *got = NULL;
        pcfmcp__json_status st = pcfmcp__json_parse(text, n, 0, &got, NULL);
        if (want && st == PCFMCP__JSON_DUPLICATE) {
            /* Refused exactly where cJSON's tree names a member twice; the
             * parse that keeps duplicates (PCF's answers) builds cJSON's tree
             * (a \\u0000 escape was refused before, so marking changes nothing). */
            ck_assert(tree_has_duplicate(want));
            ck_assert_int_eq(pcfmcp__json_parse_marking_nul(text, n, 0, &got, NULL),
                             PCFMCP__JSON_OK);
            same_tree(want, got);
            cJSON_Delete(want);
            cJSON_Delete(got);
            continue;
        }
        if (st == PCFMCP__JSON_OK)
            ck_assert(!tree_has_duplicate(want));
        if (want && (st == PCFMCP__JSON_UTF8 || (st == PCFMCP__JSON_SYNTAX && bad_u_escape(text)))) {
            /* Refused where cJSON takes bytes that are not UTF-8 (as
             * pcfmcp__json_parse always did) or decodes a bad \u escape
             * as U+0000. */
            cJSON_Delete(want);
            continue;
        }
        if ((want != NULL) != (st == PCFMCP__JSON_OK)) {
            char hex[4096];
            size_t h = 0;
            for (size_t i = 0; i < n && h + 4 < sizeof(hex); i++)
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, "%02x", (unsigned char)text[i]);
            h += (size_t)snprintf(hex + h, sizeof(hex) - h, " from ");
            for (size_t i = 0; i < on && h + 4 < sizeof(hex); i++)
                h += (size_t)snprintf(hex + h, sizeof(hex) - h, "%02x", (unsigned char)orig[i]);
            ck_abort_msg("round %d: cJSON %s, we %s: %s", round, want ? "accepts" : "refuses",
                         pcfmcp__json_status_text(st), hex);
        }
        if (want)
            same_tree(want, got);
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
}
END_TEST

START_TEST(json_parser_refuses_a_bad_unicode_escape_instead_of_cutting_the_string)
{
    cJSON *v = NULL;
    ck_assert_int_eq(pcfmcp__json_parse("\"ab\\u00zzcd\"", 13, 0, &v, NULL), PCFMCP__JSON_SYNTAX);
    ck_assert_ptr_null(v);
    /* cJSON takes it, and the string ends after "ab". */
    cJSON *c = cJSON_ParseWithLength("\"ab\\u00zzcd\"", 13);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->valuestring, "ab");
    cJSON_Delete(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *t = tcase_create("strings");
    tcase_add_loop_test(t, json_parsed_strings_are_never_shorter_than_their_text, 0, 4);
    tcase_add_test(t, json_nul_escape_is_refused_with_a_clear_reason);
    tcase_add_test(t, json_no_bytes_at_all_is_a_syntax_error);
    tcase_add_test(t, json_str_is_is_false_for_what_is_not_that_string);
    tcase_add_test(t, json_integers_beyond_2_53_keep_their_digits);
    tcase_add_test(t, json_duplicate_member_names_are_refused);
    tcase_add_loop_test(t, json_writer_writes_what_cjson_prints_byte_for_byte, 0, 4);
    tcase_add_loop_test(t, json_one_pass_refuses_what_the_four_passes_refused, 0, 4);
    tcase_add_loop_test(t, json_parser_builds_the_tree_cjson_builds, 0, 4);
    tcase_add_test(t, json_parser_refuses_a_bad_unicode_escape_instead_of_cutting_the_string);
    suite_add_tcase(s, t);
    t = tcase_create("rpc codes");
    tcase_add_test(t, rpc_codes_respect_each_revision);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
