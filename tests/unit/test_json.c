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

#include "core/json.h"
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

int main(void)
{
    Suite *s = suite_create("json");
    TCase *t = tcase_create("strings");
    tcase_add_loop_test(t, json_parsed_strings_are_never_shorter_than_their_text, 0, 4);
    tcase_add_test(t, json_nul_escape_is_refused_with_a_clear_reason);
    tcase_add_test(t, json_no_bytes_at_all_is_a_syntax_error);
    tcase_add_test(t, json_integers_beyond_2_53_keep_their_digits);
    tcase_add_test(t, json_duplicate_member_names_are_refused);
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
