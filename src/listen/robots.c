/* robots: a host's robots.txt (RFC 9309) read into the rules that apply to
 * kanal's fetcher, and paths checked against them. Pure: the fetcher
 * (schedule.c) fetches and caches the text per host. */
#include "listen/listen.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9309 2.5: a parser must read at least 500 KiB; what follows is cut. */
#define ROBOTS_MAX_BYTES (500 * 1024)
#define ROBOTS_MAX_RULES 10000

static const char *trim(const char *s, const char *end, const char **out_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *out_end = end;
    return s;
}

/* The line's key (before ':') is `name`, case-insensitively. */
static bool key_is(const char *k, const char *kend, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(kend - k) == n && !strncasecmp(k, name, n);
}

/* Does the user-agent line's product token name our agent? Matching is
 * case-insensitive on the token (letters, '-' and '_'); "*" is handled
 * by the caller. */
static bool agent_matches(const char *v, const char *vend, const char *agent)
{
    const char *e = v;
    while (e < vend && (isalnum((unsigned char)*e) || *e == '-' || *e == '_'))
        e++;
    size_t n = (size_t)(e - v);
    return n && n == strlen(agent) && !strncasecmp(v, agent, n);
}

static void add_rule(struct robots *r, bool allow, const char *p, const char *pend)
{
    if (r->n_rules == ROBOTS_MAX_RULES)
        return;
    if (r->n_rules == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->rules = xrealloc(r->rules, r->cap * sizeof *r->rules);
    }
    char *pat = xmalloc((size_t)(pend - p) + 1);
    memcpy(pat, p, (size_t)(pend - p));
    pat[pend - p] = '\0';
    r->rules[r->n_rules++] = (struct robots_rule){.allow = allow, .pattern = pat};
}

/* One pass over the lines. Groups are runs of user-agent lines followed by
 * rules; the rules of every group that names `agent` apply, merged, and
 * only when none does, those of the groups for "*". */
static void parse_pass(const char *txt, size_t len, const char *agent, bool star,
                       struct robots *out, bool *found)
{
    const char *p = txt, *end = txt + len;
    bool in_agents = false, group_applies = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *lend = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(lend - p));
        const char *le = hash ? hash : lend;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon) {
            const char *kend, *vend;
            const char *k = trim(p, colon, &kend);
            const char *v = trim(colon + 1, le, &vend);
            if (key_is(k, kend, "user-agent")) {
                if (!in_agents)
                    group_applies = false; /* a new group starts */
                in_agents = true;
                bool mine = star ? (vend - v == 1 && *v == '*') : agent_matches(v, vend, agent);
                if (mine) {
                    group_applies = true;
                    *found = true;
                }
            } else if (key_is(k, kend, "allow") || key_is(k, kend, "disallow")) {
                in_agents = false;
                /* An empty Disallow allows everything: no rule at all. */
                if (group_applies && vend > v)
                    add_rule(out, key_is(k, kend, "allow"), v, vend);
            } else if (key_is(k, kend, "crawl-delay")) {
                in_agents = false;
                if (group_applies) {
                    char num[32];
                    size_t n =
                        (size_t)(vend - v) < sizeof num - 1 ? (size_t)(vend - v) : sizeof num - 1;
                    memcpy(num, v, n);
                    num[n] = '\0';
                    char *stop;
                    double d = strtod(num, &stop);
                    if (stop != num && d >= 0 && d <= 86400)
                        out->crawl_delay_ms = (int64_t)(d * 1000);
                }
            } else if (kend > k) {
                /* sitemap and unknown keys: not part of a group's rules, and
                 * they do not end the run of user-agent lines either. */
            }
        }
        p = nl ? nl + 1 : end;
    }
}

void robots_parse(const char *txt, size_t len, const char *agent, struct robots *out)
{
    memset(out, 0, sizeof *out);
    out->crawl_delay_ms = -1;
    if (len > ROBOTS_MAX_BYTES)
        len = ROBOTS_MAX_BYTES;
    if (len >= 3 && !memcmp(txt, "\xef\xbb\xbf", 3)) {
        txt += 3;
        len -= 3;
    }
    bool found = false;
    parse_pass(txt, len, agent, false, out, &found);
    if (!found)
        parse_pass(txt, len, agent, true, out, &found);
}

void robots_free(struct robots *r)
{
    for (size_t i = 0; i < r->n_rules; i++)
        free(r->rules[i].pattern);
    free(r->rules);
    memset(r, 0, sizeof *r);
}

/* Does pattern (with '*' for any run and a final '$' for the end) match a
 * prefix of path (the whole of it with '$')? Iterative, with the usual
 * backtrack to the last '*', so a hostile pattern costs O(n*m) at worst. */
static bool pattern_matches(const char *pat, const char *path)
{
    size_t pn = strlen(pat);
    bool anchored = pn && pat[pn - 1] == '$';
    if (anchored)
        pn--;
    const char *s = path, *star_p = NULL, *star_s = NULL;
    size_t i = 0;
    while (1) {
        if (i == pn && (!anchored || !*s))
            return true;
        if (i < pn && pat[i] == '*') {
            star_p = pat + i++;
            star_s = s;
            continue;
        }
        if (i < pn && *s && pat[i] == *s) {
            i++;
            s++;
            continue;
        }
        if (!star_p || !*star_s)
            return false;
        i = (size_t)(star_p - pat) + 1;
        s = ++star_s;
    }
}

bool robots_allowed(const struct robots *r, const char *path)
{
    if (!path || !*path)
        path = "/";
    if (!strcmp(path, "/robots.txt"))
        return true;
    /* The longest matching pattern decides; on a tie, allow (RFC 9309 2.2.2). */
    size_t best = 0;
    bool allowed = true, any = false;
    for (size_t i = 0; i < r->n_rules; i++) {
        const struct robots_rule *rule = &r->rules[i];
        size_t n = strlen(rule->pattern);
        if (!pattern_matches(rule->pattern, path))
            continue;
        if (!any || n > best || (n == best && rule->allow)) {
            best = n;
            allowed = rule->allow;
            any = true;
        }
    }
    return allowed;
}
