/* publish: the desk's side of posting. Each platform's rules for a variant
 * (length as the platform counts it, media), the approval workflow and its
 * signed links for external approvers, and the calendar (JSON and
 * iCalendar). The scheduler that posts through connect/ is not here yet.
 * Uses base/, db/ and model/; never http/ or cli/. */
#ifndef KANAL_PUBLISH_H
#define KANAL_PUBLISH_H

#include <jansson.h>

#include "base/base.h"
#include "db/db.h"
#include "model/model.h"

/* ---- counting as the platforms count (publish/rules.c) ----------------------- */

/* X's weighted length (twitter-text 3): the text in NFC, each URL 23, each
 * emoji (a whole sequence: ZWJ, skin tone, flag, keycap) 2, code points in
 * U+0000-10FF, 2000-200D, 2010-201F, 2032-2037 1, everything else (CJK) 2.
 * -1 for text that is not UTF-8. */
int64_t publish_x_length(const char *text, size_t n);
/* Extended grapheme clusters of the text (what Bluesky counts, and
 * Mastodon after its URL rule). -1 for text that is not UTF-8. */
int64_t publish_graphemes(const char *text, size_t n);
/* Mastodon's count: graphemes, each http(s) URL 23, a remote mention
 * @user@domain as @user. -1 for text that is not UTF-8. */
int64_t publish_mastodon_length(const char *text, size_t n);
/* Unicode code points (what Meta, LinkedIn, YouTube and TikTok count). */
int64_t publish_code_points(const char *text, size_t n);
/* Instagram's hashtags: '#' after a non-word character (or the start)
 * followed by a word character. */
int publish_hashtags(const char *text, size_t n);

/* What is checked of one variant before it is stored. */
struct variant_check {
    const char *platform;      /* a channels.platform value */
    const char *body;          /* the text as it will be posted */
    const char *title;         /* YouTube's title; NULL: none */
    const char *first_comment; /* NULL: none */
    const char *const *media;  /* each "image", "video" or "gif" */
    size_t nmedia;
    int64_t text_limit; /* the channel's own limit (a Mastodon instance's); 0: the platform's */
};

/* 0 if the variant meets its platform's rules, else ERR_INVALID naming the
 * field ("body", "title", "media", "media[2]", "first_comment") and saying
 * the count and the limit as the platform counts them. */
int publish_check(const struct variant_check *v, struct error *err);
/* The platform's default text limit (in its own unit), 0 for none. */
int64_t publish_text_limit(const char *platform);

#endif
