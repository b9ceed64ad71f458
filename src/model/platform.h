/* model/platform: the writes imports and webhooks need beyond model.h:
 * finding rows by their platform ids, the channel a page or account id
 * belongs to, and the status changes platforms report (hide, unhide,
 * remove). All of them keyed on platform ids and idempotent. */
#ifndef KANAL_MODEL_PLATFORM_H
#define KANAL_MODEL_PLATFORM_H

#include "model/model.h"

/* 1 and *id when found, 0 when not, -1 and err. */
int post_variant_find(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                      struct error *err);
int message_find_platform(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                          struct error *err);
/* The post a variant belongs to: 1 and *post_id, 0 when there is no such
 * variant, -1 and err. */
int post_variant_post(struct db *db, int64_t variant_id, int64_t *post_id, struct error *err);

/* The channel of `platform` whose platform_id is `platform_id`, in the
 * workspace (workspace_id 0: any workspace, for webhooks; then *workspace_id
 * tells which). 1 found, 0 not, -1 error. */
int channel_find_platform(struct db *db, int64_t *workspace_id, const char *platform,
                          const char *platform_id, int64_t *channel_id, struct error *err);
/* Finds or creates the channel for an account seen in an import: a channel
 * with the same platform and handle but no platform id yet is adopted (its
 * platform id is set) rather than duplicated. A channel it creates is a
 * peer's (is_peer) when peer says the account is another organisation's;
 * one it finds keeps its own flag. Returns an enum upsert. */
int channel_upsert_platform(struct db *db, int64_t workspace_id, const char *platform,
                            const char *platform_id, const char *handle, bool peer,
                            int64_t *channel_id, struct error *err);
/* A channel's platform, platform id and handle (caller's buffers). */
int channel_platform_info(struct db *db, int64_t workspace_id, int64_t channel_id,
                          char platform[16], char platform_id[201], char handle[201],
                          struct error *err);

/* Status changes from the platform. A message goes to "hidden", "removed",
 * or back to "open" on unhide (only if it is hidden: the desk's own states
 * stay). A post variant goes to "archived" (hidden or removed) or back to
 * "published". Returns UPSERT_UPDATED or UPSERT_UNCHANGED; ERR_NOT_FOUND
 * if kanal does not have the row. */
int message_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                const char *status, struct error *err);
int post_variant_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                     const char *status, struct error *err);

/* A platform's edit of a post's text: the post behind the variant gets the
 * new body. Returns UPSERT_UPDATED or UPSERT_UNCHANGED; ERR_NOT_FOUND if
 * kanal does not have the post. */
int post_edit_platform(struct db *db, int64_t channel_id, const char *platform_id, const char *body,
                       struct error *err);

/* The same for a message's text (a platform's edit). */
int message_edit_platform(struct db *db, int64_t channel_id, const char *platform_id,
                          const char *body, struct error *err);

/* The only workspace, for commands that are not told one: 1 with *id, 0 if
 * there are none (then one named "Imported" is created and returned), -1
 * with ERR_INVALID if there are several. */
int workspace_default(struct db *db, int64_t *id, struct error *err);

#endif
