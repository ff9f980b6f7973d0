/* Fuzz target: PCF API v1 answers, every JSON shape the client decodes, as a
 * hostile or broken PCF could send them: each operation that has an API v1
 * route runs against a scripted peer (input format: fuzz/pcfdrive.h). Issue
 * writes and PoCs take API v1 here; fuzz_pcfweb.c covers the web session. */
#include "core/internal.h"

#include "pcf/impl.h"
#include "pcfdrive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pcfmcp__pcf_op ops[PCFMCP__PCF_OP_COUNT];
    static size_t n;
    if (!n)
        for (int op = 0; op < PCFMCP__PCF_OP_COUNT; op++)
            if (pcfmcp__pcf_ops[op].path)
                ops[n++] = (pcfmcp__pcf_op)op;
    pcf_drive(data, size, ops, n, 0);
    return 0;
}
