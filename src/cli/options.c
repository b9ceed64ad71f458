/* options: flags, environment and config file, in that order of precedence,
 * written into the variables a command's option table names. */
#include "cli/options.h"
#include "cli/cli.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS   64
#define CONFIG_MAX (1 << 20)

/* The keys a config file may set: every option some command has (test_cli
 * checks each command's --help against this list). A key is applied to the
 * commands that have that option and passed over by the others, so one
 * file serves them all; a key no command has is a typo and an error. */
/* clang-format off */
static const char *const cli_config_keys[] = {
    "actions", "advocate", "alert", "all", "allow-private", "alt", "as", "assigned-user", "at",
    "at-risk", "author", "away", "body", "bulk", "by", "campaign", "channel", "click-batch-ms",
    "click-fsync", "click-log", "code", "comment", "compare", "conditions", "connect-threads",
    "content-language", "content-type", "count", "days", "db", "delete", "disabled", "email",
    "email-to", "end", "expires", "expires-in", "finish", "format", "header-timeout", "html", "ics",
    "identifier", "ids", "image",
    "insights", "instance", "interval", "json", "key", "kind", "lang", "late", "late-after",
    "late-policy", "lease", "limit", "link", "listen", "listen-threads", "log-level", "mapping", "max-attempts",
    "max-body", "max-bytes", "max-per-address", "max-upload", "message", "meta-app-secret",
    "meta-verify-token", "metrics-token", "min-delay", "minutes", "mode", "name", "no-user", "now", "off", "owner",
    "password-stdin", "payload", "platform", "position", "post", "priority", "public-url", "q",
    "reason", "rejects", "reply", "report-threads", "role", "rule", "scopes", "secret-key-file",
    "secure-cookies", "seed", "select-author", "select-item", "select-link",
    "select-time", "select-title", "sentiment", "since", "sla", "smtp-from", "smtp-host",
    "smtp-password", "smtp-port", "smtp-tls", "smtp-user", "source", "state", "status", "stop",
    "sync-every", "tag", "taken-at", "target", "team", "text", "threads", "timeout", "title",
    "toplist", "trusted-proxy", "undo", "unread", "until", "url", "user", "utm-campaign",
    "utm-content", "utm-medium",
    "utm-source", "utm-term", "variant", "via", "workspace", NULL};
/* clang-format on */

static const struct cli_opt *find(const struct cli_opt *opts, size_t n, const char *name,
                                  size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

void cli_command_name(const char *synopsis, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = synopsis; *p; p++) {
        bool word_start = p == synopsis || p[-1] == ' ';
        if (word_start && !(*p >= 'a' && *p <= 'z'))
            break;
        if (*p != ' ' && *p != '-' && !(*p >= 'a' && *p <= 'z'))
            break;
        n = (size_t)(p - synopsis) + 1;
    }
    while (n && synopsis[n - 1] == ' ')
        n--;
    snprintf(out, size, "%.*s", (int)n, synopsis);
}

static void set_value(const struct cli_opt *o, const char *value)
{
    if (o->flag)
        *o->flag = !str_eq(value, "0");
    else
        *o->str = value;
}

static void print_help(FILE *f, const char *synopsis, const char *about, const struct cli_opt *opts,
                       size_t n)
{
    fprintf(f, "usage: kanal %s\n\n%s\n", synopsis, about);
    if (n)
        fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < n; i++) {
        const struct cli_opt *o = &opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-24s %s", left, o->help);
        if (o->env)
            fprintf(f, " [env %s]", o->env);
        if (o->str && *o->str)
            fprintf(f, " (default %s)", *o->str);
        fputc('\n', f);
    }
    fprintf(f, "  %-24s %s\n  %-24s %s\n", "--config FILE",
            "read 'name = value' lines (default ./kanal.conf if present) [env KANAL_CONFIG]",
            "--help", "show this help");
}

static bool known_key(const char *key)
{
    for (const char *const *k = cli_config_keys; *k; k++)
        if (str_eq(*k, key))
            return true;
    return false;
}

/* Reads the config file; only keys that are options of this command are
 * applied, but every key must be one some command has. */
static int read_config(const char *cmd, const char *path, bool must_exist,
                       const struct cli_opt *opts, size_t n, const bool *from_flag_or_env,
                       struct arena *arena)
{
    struct buf text = {0};
    struct error err = {0};
    int rc = 0;
    if (buf_read_file(&text, path, CONFIG_MAX, &err)) {
        if (!must_exist && err.kind == ERR_NOT_FOUND)
            goto done;
        cli_error(cmd, "cannot read config file %s", err.msg);
        rc = 2;
        goto done;
    }
    int lineno = 0;
    for (char *line = text.data, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            cli_error(cmd, "%s:%d: expected 'name = value'", path, lineno);
            rc = 2;
            goto done;
        }
        char *k_end = eq;
        while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
            k_end--;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        *k_end = '\0';
        if (!known_key(p)) {
            cli_error(cmd, "%s:%d: unknown setting '%s'", path, lineno, p);
            rc = 2;
            goto done;
        }
        const struct cli_opt *o = find(opts, n, p, strlen(p));
        if (o && !from_flag_or_env[o - opts])
            set_value(o, arena_strdup(arena, v));
    }
done:
    buf_free(&text);
    return rc;
}

/* Returns 0 to go on, 1 after --help, 2 after a usage error. */
static int parse(int argc, char **argv, const struct cli_opt *opts, size_t n, const char *synopsis,
                 const char *about, struct cli_parse *out)
{
    assert(n <= MAX_OPTS);
    for (size_t i = 0; i < n; i++) /* each row made by OPT_STRING or OPT_BOOL */
        assert(opts[i].name && opts[i].help && !opts[i].arg == !opts[i].str &&
               !opts[i].str != !opts[i].flag);
    char cmd[32];
    cli_command_name(synopsis, cmd, sizeof cmd);
    out->pos = (char **)arena_alloc(&out->arena, sizeof(char *) * (size_t)(argc + 1));
    bool set[MAX_OPTS] = {false};
    const char *config = getenv("KANAL_CONFIG");
    bool config_explicit = config != NULL;
    /* Flags first, remembered; environment for what flags left unset. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (str_eq(a, "--help") || str_eq(a, "-h")) {
            print_help(stdout, synopsis, about, opts, n);
            return 1;
        }
        if (str_eq(a, "--")) {
            while (++i < argc)
                out->pos[out->npos++] = argv[i];
            break;
        }
        if (!str_starts_with(a, "--")) {
            out->pos[out->npos++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (len == 6 && strncmp(name, "config", 6) == 0) {
            if (!value && i + 1 < argc)
                value = argv[++i];
            if (!value) {
                cli_error(cmd, "--config needs a FILE");
                return 2;
            }
            config = value;
            config_explicit = true;
            continue;
        }
        const struct cli_opt *o = find(opts, n, name, len);
        if (!o) {
            cli_error(cmd, "unknown option '%s' (see 'kanal %s --help')", a, cmd);
            return 2;
        }
        if (!o->arg) {
            if (value) {
                cli_error(cmd, "--%s takes no value", o->name);
                return 2;
            }
            value = "1";
        } else if (!value) {
            if (i + 1 >= argc) {
                cli_error(cmd, "--%s needs a %s", o->name, o->arg);
                return 2;
            }
            value = argv[++i];
        }
        set_value(o, value);
        set[o - opts] = true;
    }
    for (size_t i = 0; i < n; i++) {
        const char *e = opts[i].env ? getenv(opts[i].env) : NULL;
        if (!set[i] && e && *e) {
            set_value(&opts[i], e);
            set[i] = true;
        }
    }
    return read_config(cmd, config ? config : "kanal.conf", config_explicit, opts, n, set,
                       &out->arena);
}

int cli_parse_options(int argc, char **argv, const struct cli_opt *opts, size_t n,
                      const char *synopsis, const char *about, struct cli_parse *out)
{
    memset(out, 0, sizeof *out);
    int rc = parse(argc, argv, opts, n, synopsis, about, out);
    out->stop = rc != 0;
    return rc == 1 ? 0 : rc;
}

void cli_parse_free(struct cli_parse *p)
{
    arena_free(&p->arena);
}
