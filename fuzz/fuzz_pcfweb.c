/* Fuzz target: PCF's web pages and redirects as the client's web session
 * reads them: login (CSRF field, error markers, Location), session renewal,
 * the project export, and every web-only operation (credentials, notes,
 * Nmap import, reports, issue writes and PoCs), against a scripted peer
 * (input format: fuzz/pcfdrive.h). */
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
            if ((pcfmcp__pcf_ops[op].flags & PCF_F_UI) || op == PCFMCP__PCF_OP_ISSUE_CREATE ||
                op == PCFMCP__PCF_OP_ISSUE_UPDATE || op == PCFMCP__PCF_OP_ISSUE_DELETE ||
                op == PCFMCP__PCF_OP_POC_ADD)
                ops[n++] = (pcfmcp__pcf_op)op;
    pcf_drive(data, size, ops, n, 1);
    return 0;
}
