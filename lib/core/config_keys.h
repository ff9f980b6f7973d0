/* The one table of configuration keys. Everything derives from it: parsing
 * of file, environment and flags, `config dump`, the man page's option list
 * and --help. */
#ifndef PCFMCP_CORE_CONFIG_KEYS_H
#define PCFMCP_CORE_CONFIG_KEYS_H

#include <pcfmcp/config.h>

enum {
    PCFMCP__KEY_RELOAD = 1u << 0,   /* applied on SIGHUP */
    PCFMCP__KEY_NOFLAG = 1u << 1,   /* no command-line flag (secrets) */
    PCFMCP__KEY_SECRET_FILE = 1u << 2 /* a *_file key feeding the secret named in `feeds` */
};

typedef struct {
    const char *key;
    pcfmcp_config_type_t type;
    const char *def;      /* default as text ("" = unset) */
    const char *flag;     /* NULL = derived from the key (pcf.url -> pcf-url) */
    long long min, max;   /* INT/DURATION/DOUBLE range (both 0 = unbounded) */
    const char *choices;  /* ENUM words separated by '|' */
    unsigned flags;
    const char *feeds;    /* for *_file keys: the secret key they fill */
    const char *doc;
    double dmin, dmax;    /* DOUBLE range with fractions (both 0 = use min/max) */
} pcfmcp__key_def;

extern const pcfmcp__key_def pcfmcp__config_keys[];
extern const size_t pcfmcp__config_key_total;

#endif
