/* connect internals: what sync.c and act.c share to run a connector for a
 * channel (session.c). Not for other parts. */
#ifndef KANAL_CONNECT_INTERNAL_H
#define KANAL_CONNECT_INTERNAL_H

#include "connect/connect.h"

/* A connector ready to run for one channel: its connection, tokens
 * (refreshed when about to expire) and session. */
struct channel_run {
    struct channel_ref ch;
    struct connection conn;
    const struct connector *c;
    struct connect_env_config env_cfg;
    struct connect_platform_config cfg;
    struct channel_tokens tokens;
    struct connect_session s;
    /* Where tokens a connector renews in the middle of a call are sealed
     * (connect_session.tokens_renewed). */
    struct db *db;
    const struct connect_env *env;
    /* The channel already needed reconnecting (or is paused): its state
     * says why, and a failure is not written over it. */
    bool held;
};

/* 0, or -1 and res: CO_REJECTED for a channel that is not connected, has
 * no connector or cannot open its tokens; CO_AUTH for one that needs
 * reconnecting (already marked) or whose refresh was refused (marked here
 * by channel_run_record); others as the refresh ended. Close it in both
 * cases. */
int channel_run_open(struct db *db, const struct connect_env *env, int64_t channel_id, int64_t now,
                     struct channel_run *r, struct connect_result *res);
void channel_run_close(struct channel_run *r);
/* Writes down how a run ended that did not end well: CO_AUTH marks the
 * channel needs_reconnect with res's message, any other its last error. */
void channel_run_record(struct db *db, int64_t channel_id, const struct connect_result *res,
                        int64_t now);
/* res from an error of kanal's own (the store): CO_TEMPORARY. Returns -1. */
int connect_fail_error(struct connect_result *res, const struct error *err);

#endif
