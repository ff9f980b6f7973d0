/* Reads of a configuration value by its index in the key table. Used only
 * by the generated accessors of core/config_typed.h (scripts/
 * gen-config-typed.sh), which name the key and fix the type: code inside
 * the library never reads a setting by its string name. */
#ifndef PCFMCP_CORE_CONFIG_ACCESS_H
#define PCFMCP_CORE_CONFIG_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include <pcfmcp/config.h>

#include "core/internal.h"

/* The value as text (the default when unset); STRING, SECRET, ENUM, LIST
 * and PATH keys. */
const char *pcfmcp__config_str_at(const pcfmcp_config_t *c, size_t index);
/* INT keys, and DURATION keys in milliseconds. */
long long pcfmcp__config_int_at(const pcfmcp_config_t *c, size_t index);
bool pcfmcp__config_bool_at(const pcfmcp_config_t *c, size_t index);
double pcfmcp__config_double_at(const pcfmcp_config_t *c, size_t index);

#endif
