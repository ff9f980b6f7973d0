#include "core/internal.h"

#include <pcfmcp/version.h>

PCFMCP_API const char *pcfmcp_version(void)
{
    return PCFMCP_VERSION;
}

PCFMCP_API unsigned pcfmcp_version_num(void)
{
    return (unsigned)PCFMCP_VERSION_NUM;
}
