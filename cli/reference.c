/* `pcf-mcp config reference`: the configuration reference (pcf-mcp.conf(5)
 * and docs/configuration.md) rendered from the library's key table, so the
 * documentation cannot drift from what the program accepts. The committed
 * copies are checked against this output by `make check`. */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

typedef struct {
    const char *key, *def, *env, *flag, *doc;
    pcfmcp_config_type_t type;
} keyinfo;

static keyinfo info(size_t i)
{
    keyinfo k;
    memset(&k, 0, sizeof(k));
    pcfmcp_config_key_info(i, &k.key, &k.type, &k.def, &k.env, &k.flag, &k.doc);
    return k;
}

static const char *type_name(pcfmcp_config_type_t t)
{
    switch (t) {
    case PCFMCP_CONFIG_STRING: return "string";
    case PCFMCP_CONFIG_SECRET: return "secret";
    case PCFMCP_CONFIG_INT: return "integer";
    case PCFMCP_CONFIG_BOOL: return "boolean";
    case PCFMCP_CONFIG_DOUBLE: return "number";
    case PCFMCP_CONFIG_ENUM: return "enum";
    case PCFMCP_CONFIG_LIST: return "list";
    case PCFMCP_CONFIG_PATH: return "path";
    case PCFMCP_CONFIG_DURATION: return "duration";
    }
    return "value";
}

static void duration_text(double ms, char *out, size_t n)
{
    long long v = (long long)ms;
    if (isinf(ms))
        snprintf(out, n, "unlimited");
    else if (v != 0 && v % 3600000 == 0)
        snprintf(out, n, "%lldh", v / 3600000);
    else if (v != 0 && v % 60000 == 0)
        snprintf(out, n, "%lldm", v / 60000);
    else if (v != 0 && v % 1000 == 0)
        snprintf(out, n, "%llds", v / 1000);
    else
        snprintf(out, n, "%lldms", v);
}

/* "Range: 0 to 65535" or "" */
static void range_text(const keyinfo *k, char *out, size_t n)
{
    double lo = 0, hi = 0;
    out[0] = '\0';
    if (!pcfmcp_config_key_range(k->key, &lo, &hi))
        return;
    char a[32], b[32];
    if (k->type == PCFMCP_CONFIG_DURATION) {
        duration_text(lo, a, sizeof(a));
        duration_text(hi, b, sizeof(b));
    } else {
        snprintf(a, sizeof(a), "%g", lo);
        if (isinf(hi))
            snprintf(b, sizeof(b), "unlimited");
        else
            snprintf(b, sizeof(b), "%.15g", hi);
    }
    snprintf(out, n, "%s to %s", a, b);
}

static bool has_file_variant(const char *key)
{
    char name[160];
    snprintf(name, sizeof(name), "%s_file", key);
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++)
        if (strcmp(info(i).key, name) == 0)
            return true;
    return false;
}

static size_t section_len(const char *key)
{
    const char *dot = strchr(key, '.');
    return dot ? (size_t)(dot - key) : strlen(key);
}

/* ------------------------------------------------------------------ roff */

static void roff_text(FILE *f, const char *s)
{
    bool bol = true;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        bol = false;
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else if (*s == '\n') {
            fputc('\n', f);
            bol = true;
        } else
            fputc(*s, f);
    }
}

static const char *const man_intro =
    ".SH NAME\n"
    "pcf\\-mcp.conf \\- configuration of the pcf\\-mcp MCP server\n"
    ".SH SYNOPSIS\n"
    ".B pcf\\-mcp\n"
    "[\\fB\\-\\-config\\fR \\fIFILE\\fR] [\\fB\\-\\-\\fIsection\\-key\\fR \\fIVALUE\\fR ...]\n"
    ".SH DESCRIPTION\n"
    "Every setting is a dotted key (\\fBpcf.url\\fR) that can be given in four places;\n"
    "a stronger source always wins, whatever the order they are read in:\n"
    "command\\-line flags > environment > configuration file > built\\-in defaults.\n"
    ".PP\n"
    "The configuration file is YAML: one mapping per section, e.g.\n"
    ".PP\n"
    ".nf\n"
    ".RS\n"
    "pcf:\n"
    "  url: https://pcf.example.com\n"
    "  token_file: /run/secrets/pcf\\-token\n"
    "rate_limit:\n"
    "  requests_per_second: 5\n"
    "  trusted_proxies: [10.0.0.0/8]\n"
    ".RE\n"
    ".fi\n"
    ".PP\n"
    "In the environment a key is \\fBPCF_MCP_\\fR followed by the key in upper case\n"
    "with dots turned into underscores (\\fBPCF_MCP_RATE_LIMIT_BURST\\fR). Unknown\n"
    "keys and unknown \\fBPCF_MCP_*\\fR variables are errors.\n"
    ".PP\n"
    "Secrets (type \\fIsecret\\fR) have no flag, so they never appear in a process\n"
    "list; set them in the file, the environment, or better in a file named by\n"
    "the matching \\fB*_file\\fR key (a Kubernetes Secret mount). Every dump and\n"
    "log line redacts them.\n"
    ".PP\n"
    "Durations accept \\fB250ms\\fR, \\fB5s\\fR, \\fB2m\\fR, \\fB1h\\fR, \\fB1d\\fR or a bare\n"
    "number of milliseconds. Booleans accept true/false, yes/no, on/off, 1/0.\n"
    "Lists are YAML sequences in the file and comma\\-separated elsewhere.\n"
    ".PP\n"
    "\\fBpcf\\-mcp config check\\fR \\fIFILE\\fR validates a file (and the environment);\n"
    "every error names the file and line, the environment variable or the flag,\n"
    "and the key. \\fBpcf\\-mcp config dump\\fR prints the effective configuration.\n";

static const char *const man_reload =
    ".SH RELOAD\n"
    "On \\fBSIGHUP\\fR pcf\\-mcp reads its configuration again (file, environment,\n"
    "secret files) and applies the keys marked \\fIapplied on SIGHUP\\fR below\n"
    "atomically: everything new is built first and swapped in only if all of it\n"
    "is valid, otherwise nothing changes and the log says why. The audit file is\n"
    "reopened on every SIGHUP (log rotation). A changed key that cannot change at\n"
    "run time is logged as needing a restart and is not applied.\n"
    ".PP\n"
    "The files named by \\fBserver.tls_cert\\fR, \\fBserver.tls_key\\fR,\n"
    "\\fBserver.tls_client_ca\\fR and \\fBauth.api_keys_file\\fR are read again under\n"
    "the same names: a renewed certificate or an edited keys file is applied. A\n"
    "different file name refuses the whole reload, with a log line naming the key\n"
    "(\\fIreload refused: server.tls_cert changed\\fR); restart to use another file.\n"
    ".PP\n";

static const char *const man_tail =
    ".SH FILES\n"
    ".TP\n"
    ".I /etc/pcf\\-mcp/config.yaml\n"
    "A conventional place for the configuration file (there is no default; pass\n"
    "\\fB\\-\\-config\\fR).\n"
    ".SH EXIT STATUS\n"
    "0 success; 1 run\\-time failure; 2 usage or configuration error; 3 stopped with\n"
    "requests that had to be cancelled after \\fBserver.shutdown_grace\\fR.\n"
    ".SH SEE ALSO\n"
    ".BR pcf\\-mcp (1)\n";

static void man_key(FILE *f, const keyinfo *k)
{
    fprintf(f, ".TP\n.BR ");
    roff_text(f, k->key);
    fprintf(f, " \" (%s)\"\n", type_name(k->type));
    roff_text(f, k->doc);
    fputc('\n', f);
    const char *choices = pcfmcp_config_key_choices(k->key);
    if (choices) {
        fputs(".br\nOne of: ", f);
        for (const char *c = choices; *c; c++) {
            if (*c == '|')
                fputs(", ", f);
            else if (*c == '-')
                fputs("\\-", f);
            else
                fputc(*c, f);
        }
        fputs(".\n", f);
    }
    fputs(".br\nDefault: ", f);
    if (k->type == PCFMCP_CONFIG_SECRET || !k->def[0])
        fputs("none", f);
    else {
        fputs("\\fB", f);
        roff_text(f, k->def);
        fputs("\\fR", f);
    }
    char range[80];
    range_text(k, range, sizeof(range));
    if (range[0]) {
        fputs(". Range: ", f);
        roff_text(f, range);
    }
    fputs(".\n.br\nEnvironment: \\fB", f);
    roff_text(f, k->env);
    fputs("\\fR", f);
    if (k->flag) {
        fputs(". Flag: \\fB\\-\\-", f);
        roff_text(f, k->flag);
        fputs("\\fR", f);
    } else {
        fputs(". No flag", f);
    }
    if (has_file_variant(k->key)) {
        fputs("; also read from the file named by \\fB", f);
        roff_text(f, k->key);
        fputs("_file\\fR", f);
    }
    fprintf(f, ".\n.br\n%s\n",
            pcfmcp_config_key_reloadable(k->key) ? "Applied on SIGHUP." : "Needs a restart.");
}

static void render_man(FILE *f)
{
    fputs(".\\\" Generated by `pcf-mcp config reference --format man` from the key table.\n"
          ".\\\" Do not edit: change lib/core/config_keys.c and run `make update-config-reference`.\n"
          ".TH PCF\\-MCP.CONF 5 \"\" \"pcf\\-mcp\" \"File Formats Manual\"\n",
          f);
    fputs(man_intro, f);
    fputs(".SH OPTIONS\n", f);
    const char *prev = NULL;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (!prev || section_len(prev) != section_len(k.key) ||
            strncmp(prev, k.key, section_len(k.key)) != 0)
            fprintf(f, ".SS %.*s\n", (int)section_len(k.key), k.key);
        prev = k.key;
        man_key(f, &k);
    }
    fputs(".SH TIMEOUTS\n"
          "Every wait in pcf\\-mcp is bounded by one of these settings:\n",
          f);
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (k.type != PCFMCP_CONFIG_DURATION)
            continue;
        fputs(".TP\n.B ", f);
        roff_text(f, k.key);
        fputs("\n", f);
        roff_text(f, k.doc);
        fputs(" Default \\fB", f);
        roff_text(f, k.def);
        fputs("\\fR.\n", f);
    }
    fputs(man_reload, f);
    fputs("Keys applied on SIGHUP:\n", f);
    bool first = true;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (!pcfmcp_config_key_reloadable(k.key))
            continue;
        fputs(first ? "\\fB" : ",\n\\fB", f);
        roff_text(f, k.key);
        fputs("\\fR", f);
        first = false;
    }
    fputs(".\n", f);
    fputs(man_tail, f);
}

/* ------------------------------------------------------------------ markdown */

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void render_markdown(FILE *f)
{
    fputs("<!-- Generated by `pcf-mcp config reference --format markdown` from the key table.\n"
          "     Do not edit: change lib/core/config_keys.c and run `make update-config-reference`. -->\n"
          "# pcf-mcp configuration reference\n\n"
          "Every key can be set in the YAML file (`section:` then `key:`), in the\n"
          "environment (`PCF_MCP_<SECTION>_<KEY>`) or, unless it is a secret, with a flag.\n"
          "Precedence: flags > environment > file > defaults. Secrets also come from the\n"
          "file named by their `*_file` key. Durations take `250ms`, `5s`, `2m`, `1h`.\n"
          "Keys marked *reload* are applied on SIGHUP; the others need a restart.\n"
          "See also `man 5 pcf-mcp.conf`.\n",
          f);
    const char *prev = NULL;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (!prev || section_len(prev) != section_len(k.key) ||
            strncmp(prev, k.key, section_len(k.key)) != 0) {
            fprintf(f, "\n## %.*s\n\n", (int)section_len(k.key), k.key);
            fputs("| Key | Type | Default | Environment | Flag | Reload | Description |\n"
                  "|---|---|---|---|---|---|---|\n",
                  f);
        }
        prev = k.key;
        char range[80];
        range_text(&k, range, sizeof(range));
        const char *choices = pcfmcp_config_key_choices(k.key);
        fprintf(f, "| `%s` | %s | %s%s%s | `%s` | %s%s%s | %s | ", k.key, type_name(k.type),
                k.def[0] && k.type != PCFMCP_CONFIG_SECRET ? "`" : "",
                k.def[0] && k.type != PCFMCP_CONFIG_SECRET ? k.def : "",
                k.def[0] && k.type != PCFMCP_CONFIG_SECRET ? "`" : "", k.env,
                k.flag ? "`--" : "", k.flag ? k.flag : "(none)", k.flag ? "`" : "",
                pcfmcp_config_key_reloadable(k.key) ? "reload" : "restart");
        md_cell(f, k.doc);
        if (choices) {
            fputs(" One of: ", f);
            md_cell(f, choices);
            fputs(".", f);
        }
        if (range[0])
            fprintf(f, " Range: %s.", range);
        fputs(" |\n", f);
    }
    fputs("\n## Timeouts\n\n| Key | Default | Bounds |\n|---|---|---|\n", f);
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (k.type != PCFMCP_CONFIG_DURATION)
            continue;
        fprintf(f, "| `%s` | `%s` | ", k.key, k.def);
        md_cell(f, k.doc);
        fputs(" |\n", f);
    }
}

/* The settings' flags for pcf-mcp(1): one tagged paragraph per flag. */
static void render_man_flags(FILE *f)
{
    fputs(".\\\" Generated by `pcf-mcp config reference --format man-flags` from the key table.\n", f);
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        keyinfo k = info(i);
        if (!k.flag)
            continue;
        fputs(".TP\n.B \\-\\-", f);
        roff_text(f, k.flag);
        if (k.type == PCFMCP_CONFIG_BOOL)
            fputs("\\fR[=\\fIBOOL\\fR]\n", f);
        else
            fprintf(f, " \\fI%s\\fR\n", type_name(k.type));
        roff_text(f, k.doc);
        fputs("\n(\\fB", f);
        roff_text(f, k.key);
        fputs("\\fR, \\fB", f);
        roff_text(f, k.env);
        fputs("\\fR", f);
        if (k.def && *k.def) {
            fputs("; default ", f);
            roff_text(f, k.def);
        }
        fputs(")\n", f);
    }
}

int cli_cmd_reference(const cli_args *a)
{
    const char *format = a->format ? a->format : "man";
    if (strcmp(format, "man") == 0)
        render_man(stdout);
    else if (strcmp(format, "markdown") == 0)
        render_markdown(stdout);
    else if (strcmp(format, "man-flags") == 0)
        render_man_flags(stdout);
    else {
        fprintf(stderr, "pcf-mcp: config reference --format must be man, man-flags or markdown\n");
        return CLI_EXIT_USAGE;
    }
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}
