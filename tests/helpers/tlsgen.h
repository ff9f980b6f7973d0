/* Generates a throw-away CA and certificates signed by it (GnuTLS API), as
 * PEM files in a directory, for TLS tests. */
#ifndef PCFMCP_TEST_TLSGEN_H
#define PCFMCP_TEST_TLSGEN_H

/* Creates dir/ca.pem (+ its key kept in memory by the generator). Returns 0. */
int tlsgen_ca(const char *dir);
/* Issues a certificate for @p cn (with SAN DNS:localhost, IP:127.0.0.1) signed
 * by the CA of @p dir into dir/<name>.pem and dir/<name>-key.pem, with
 * @p serial and a validity of @p days. @p client makes it a TLS client cert. */
int tlsgen_issue(const char *dir, const char *name, const char *cn, unsigned serial, int days,
                 int client);

#endif
