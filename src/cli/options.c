/* options: flags, environment and config file, in that order of precedence. */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cli_opt *find(struct cli_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

const char *cli_opt_value(const struct cli_opt *opts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(opts[i].name, name))
            return opts[i].value;
    return NULL;
}

static void print_help(FILE *f, const char *synopsis, const char *about, struct cli_opt *opts,
                       size_t n)
{
    fprintf(f, "usage: kanal %s\n\n%s\n", synopsis, about);
    if (n)
        fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-24s %s", left, opts[i].help);
        if (opts[i].env)
            fprintf(f, " [env %s]", opts[i].env);
        if (opts[i].value && opts[i].arg)
            fprintf(f, " (default %s)", opts[i].value);
        fputc('\n', f);
    }
    fprintf(f, "  %-24s %s\n  %-24s %s\n", "--config FILE",
            "read 'name = value' lines (default ./kanal.conf if present) [env KANAL_CONFIG]",
            "--help", "show this help");
}

/* Reads the config file; only keys that are options of this command are
 * applied, but every key must be one kanal knows somewhere. */
static int read_config(const char *path, bool must_exist, struct cli_opt *opts, size_t n,
                       bool *from_flag_or_env, struct arena *arena)
{
    static const char *const known[] = {
        "db", "listen", "threads", "max-body", "log-level", "seed", "secure-cookies", "end", NULL};
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        fprintf(stderr, "kanal: cannot read config file %s: %s\n", path, strerror(errno));
        return 2;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            fprintf(stderr, "kanal: %s:%d: expected 'name = value'\n", path, lineno);
            rc = 2;
            break;
        }
        char *k_end = eq;
        while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
            k_end--;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        *k_end = '\0';
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = str_eq(*k, p);
        if (!ok) {
            fprintf(stderr, "kanal: %s:%d: unknown setting '%s'\n", path, lineno, p);
            rc = 2;
            break;
        }
        struct cli_opt *o = find(opts, n, p, strlen(p));
        if (o && !from_flag_or_env[o - opts])
            o->value = arena_strdup(arena, v);
    }
    fclose(f);
    return rc;
}

static int parse(int argc, char **argv, struct cli_opt *opts, size_t n, const char *synopsis,
                 const char *about, struct cli_parse *out)
{
    memset(out, 0, sizeof *out);
    out->pos = (char **)arena_alloc(&out->arena, sizeof(char *) * (size_t)(argc + 1));
    bool set[64] = {false};
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
                fprintf(stderr, "kanal: --config needs a FILE\n");
                return 2;
            }
            config = value;
            config_explicit = true;
            continue;
        }
        struct cli_opt *o = find(opts, n, name, len);
        if (!o) {
            fprintf(stderr, "kanal: unknown option '%s' (see 'kanal %s --help')\n", a, argv[0]);
            return 2;
        }
        if (!o->arg) {
            if (value) {
                fprintf(stderr, "kanal: --%s takes no value\n", o->name);
                return 2;
            }
            value = "1";
        } else if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kanal: --%s needs a %s\n", o->name, o->arg);
                return 2;
            }
            value = argv[++i];
        }
        o->value = value;
        set[o - opts] = true;
    }
    for (size_t i = 0; i < n && i < 64; i++) {
        const char *e = opts[i].env ? getenv(opts[i].env) : NULL;
        if (!set[i] && e && *e) {
            opts[i].value = e;
            set[i] = true;
        }
    }
    int rc =
        read_config(config ? config : "kanal.conf", config_explicit, opts, n, set, &out->arena);
    return rc;
}

int cli_parse_options(int argc, char **argv, struct cli_opt *opts, size_t n, const char *synopsis,
                      const char *about, struct cli_parse *out)
{
    int rc = parse(argc, argv, opts, n, synopsis, about, out);
    out->stop = rc != 0;
    return rc == 1 ? 0 : rc;
}

void cli_parse_free(struct cli_parse *p)
{
    arena_free(&p->arena);
}
