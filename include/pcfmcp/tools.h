/**
 * @file tools.h
 * @brief The PCF toolset: MCP tools, resources, prompts and completions
 *        backed by a PCF client.
 *
 * A toolset is configured once (typed setters, or all at once from a
 * pcfmcp_config_t with the `tools.*` and `reports.output_dir` keys) and then
 * registered on an engine with pcfmcp_toolset_register(). Registration never
 * contacts PCF; every tool call does, with the client the resolver picks for
 * the caller (by default the one client set with pcfmcp_toolset_set_pcf()).
 *
 * Safety gates applied at registration: read-only mode, toolset selection,
 * allow and deny lists, and destructive tools (off by default). Gates applied
 * per call: the project allow-list, the `confirm` argument of destructive
 * tools, and the web-session requirement of the tools that need one. Every
 * refusal is a tool error whose text says why, so a model can adapt.
 *
 * Thread safety: configure and register from one thread. Once registered,
 * the engine may run any number of tool calls at once; the toolset must not
 * be changed or freed until the engine is freed.
 */
#ifndef PCFMCP_TOOLS_H
#define PCFMCP_TOOLS_H

#include <pcfmcp/common.h>
#include <pcfmcp/config.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/log.h>
#include <pcfmcp/pcf.h>

PCFMCP_BEGIN_DECLS

/** A configured set of PCF tools. Opaque. */
typedef struct pcfmcp_toolset pcfmcp_toolset_t;

/**
 * Picks the PCF client for one call.
 *
 * @param identity the caller's identity (pcfmcp_ctx_identity()), or NULL
 * @param[out] out_pcf the client to use, borrowed: it must stay valid until
 *             the call ends
 * @param why buffer for a refusal message the model will read
 * @param why_size its size in bytes
 * @param userdata as given to pcfmcp_toolset_set_resolver()
 * @return PCFMCP_OK with *out_pcf set; any other code refuses the call with
 *         the text in @p why (or a generic text when @p why is empty).
 * Runs on the engine thread serving the call, possibly on several at once.
 */
typedef pcfmcp_error_t (*pcfmcp_toolset_resolve_cb)(const char *identity,
                                                    pcfmcp_pcf_t **out_pcf, char *why,
                                                    size_t why_size, void *userdata);

/** Creates a toolset with the defaults of the `tools.*` keys and no PCF client. */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_new(pcfmcp_toolset_t **out);

/**
 * Creates a toolset from the `tools.*` keys and `reports.output_dir` of
 * @p config (read now, not kept).
 * @param[out] out receives the toolset; on PCFMCP_ERR_CONFIG it is still set
 *             so that pcfmcp_toolset_errmsg() can say which key is wrong, and
 *             must be freed.
 * @param config the configuration to read; not kept
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_new_from_config(pcfmcp_toolset_t **out,
                                                         const pcfmcp_config_t *config);

/** Frees @p ts. NULL does nothing. The engine it was registered on must be freed first. */
PCFMCP_API void pcfmcp_toolset_free(pcfmcp_toolset_t *ts);

/** Why this thread's last failed call on @p ts failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_toolset_errmsg(const pcfmcp_toolset_t *ts);

/**
 * Uses @p pcf for every caller (borrowed; it must outlive the engine the
 * toolset is registered on). NULL leaves the toolset without PCF: tools are
 * still listed and their calls say that PCF is not configured.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_pcf(pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf);

/** Picks the client per caller with @p cb instead (NULL restores the single client). */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_resolver(pcfmcp_toolset_t *ts,
                                                      pcfmcp_toolset_resolve_cb cb,
                                                      void *userdata);

/** Logs through @p logger (a reference is taken). NULL stops logging. */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_logger(pcfmcp_toolset_t *ts,
                                                    pcfmcp_logger_t *logger);

/** Registers only tools that change nothing in PCF (@p on non-zero). */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_read_only(pcfmcp_toolset_t *ts, int on);

/**
 * Registers the destructive tools (`delete_*`); each then needs a `confirm`
 * argument repeating the id of what it deletes. Off by default.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_enable_destructive(pcfmcp_toolset_t *ts, int on);

/**
 * Selects toolsets by name, comma-separated (`pcf-mcp tools` and docs/tools.md
 * list them with their tools). "default" stands for the default set
 * (context, projects, hosts, ports, issues, pocs, notes, reports) and "all"
 * for every toolset; NULL or "" means "default". The context toolset
 * (whoami, check_token) is always on. Unknown names fail with
 * PCFMCP_ERR_CONFIG and the message lists the valid ones.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_toolsets(pcfmcp_toolset_t *ts, const char *csv);

/**
 * Dynamic mode (@p on non-zero): the toolsets chosen with
 * pcfmcp_toolset_set_toolsets() are offered at start, and the tools
 * `list_toolsets` and `enable_toolset` let the model switch on any other
 * toolset while the server runs; the engine then sends
 * `notifications/tools/list_changed` (to every session: the tool list is
 * the engine's, not a session's). The other gates (read-only, destructive,
 * allow and deny lists) still apply. Default off.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_dynamic(pcfmcp_toolset_t *ts, int on);

/**
 * Registers only the tools named in @p csv (comma-separated; NULL or empty =
 * no allow-list). Unknown tool names fail with PCFMCP_ERR_CONFIG.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_allow(pcfmcp_toolset_t *ts, const char *csv);

/** Never registers the tools named in @p csv. Unknown names fail with PCFMCP_ERR_CONFIG. */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_deny(pcfmcp_toolset_t *ts, const char *csv);

/**
 * Limits the assistant to the projects in @p csv (names or UUIDs;
 * comma-separated; NULL or empty = every project the PCF account sees).
 * Other projects are left out of lists and every call on them is refused.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_projects(pcfmcp_toolset_t *ts, const char *csv);

/** The project (name or UUID) used when a call names none. NULL clears it. Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_default_project(pcfmcp_toolset_t *ts,
                                                             const char *project);

/**
 * Caps the serialised structured result of one call (1024 bytes or more;
 * default 65536). Lists stop early with a truncation notice and the cursor
 * of the rest.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_max_response_bytes(pcfmcp_toolset_t *ts,
                                                                size_t bytes);

/** Caps every text field taken from PCF at @p chars characters (64..1000000; default 4000). */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_max_field_chars(pcfmcp_toolset_t *ts, size_t chars);

/**
 * The directory generate_report may write into (NULL or empty: reports are
 * only returned, never written). Paths given by the model are relative to it
 * and cannot leave it. Copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_report_dir(pcfmcp_toolset_t *ts, const char *dir);

/**
 * Settings of import_scan. @p input_dir (NULL or empty: none) is the
 * directory its `path` argument is relative to (symlinks refused; without
 * it files come only as inline `content`). @p max_bytes (1024 or more; 0 =
 * 16 MiB) caps a file, which is read into memory once and streamed to PCF
 * from there. @p pcf_issue_inserts ("auto", "broken", "working"; NULL =
 * "auto") tells whether PCF's importers can create findings: auto asks PCF's
 * new-issue form once. Copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_imports(pcfmcp_toolset_t *ts, const char *input_dir,
                                                     size_t max_bytes,
                                                     const char *pcf_issue_inserts);

/**
 * Registers the enabled tools plus the pcf:// resources, resource
 * templates, prompts and completions on @p engine (which borrows @p ts).
 * An allow-listed tool that another gate removes (read-only mode, its group
 * switched off, destructive tools disabled) stays unregistered.
 * @return PCFMCP_ERR_STATE if @p ts was already registered, or the engine's
 *         error (pcfmcp_toolset_errmsg() says which registration failed).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_register(pcfmcp_toolset_t *ts, pcfmcp_engine_t *engine);

/**
 * The names of every tool the toolset knows (whether or not the gates
 * register it), comma-separated.
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_toolset_known_tools(char **out);

PCFMCP_END_DECLS

#endif /* PCFMCP_TOOLS_H */
