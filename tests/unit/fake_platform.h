/* fake_platform: starts one of the platform fakes under tests/fakes/ (Python,
 * stdlib only) on a loopback port it picks itself, for a connector's unit
 * tests, and talks to its control API (/_fake/script, /_fake/log,
 * /_fake/reset, /_fake/state; tests/fakes/fakebase.py says what each does).
 * Unit tests run from the repository's top, where tests/fakes is. Include
 * after cmocka.h. */
#ifndef KANAL_TESTS_FAKE_PLATFORM_H
#define KANAL_TESTS_FAKE_PLATFORM_H

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect/connect.h"

struct fake_platform {
    pid_t pid;
    int port;
    char url[64];              /* "http://127.0.0.1:PORT" */
    struct connect_http *http; /* to url, for the control API */
};

/* Starts tests/fakes/NAME.py; fails the test when it does not say
 * "listening PORT" on its first line. */
static inline void fake_start(struct fake_platform *f, const char *name)
{
    char script[256];
    snprintf(script, sizeof script, "tests/fakes/%s.py", name);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        setpgid(0, 0);
        /* A failed assertion leaves the test without fake_stop: the fake
         * then goes with it rather than holding the test's output open. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(127);
        execlp("python3", "python3", script, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    char line[128] = "";
    if (!fgets(line, sizeof line, in) || sscanf(line, "listening %d", &f->port) != 1)
        fail_msg("the fake %s did not start (said: '%s')", script, line);
    fclose(in);
    f->pid = pid;
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
    struct error err = {0};
    struct connect_http_config cfg = {.base_url = f->url, .timeout_ms = 5000};
    f->http = connect_http_new(&cfg, &err);
    assert_non_null(f->http);
}

static inline void fake_stop(struct fake_platform *f)
{
    if (f->pid > 0) {
        kill(-f->pid, SIGTERM);
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
    }
    connect_http_free(f->http);
    memset(f, 0, sizeof *f);
}

/* POSTs a JSON text to a control path ("/_fake/script", "/_fake/state",
 * "/_fake/reset"); fails the test unless the fake answers 200. */
static inline void fake_control(struct fake_platform *f, const char *path, const char *json_text)
{
    struct connect_request rq = {.method = "POST",
                                 .path = path,
                                 .content_type = "application/json",
                                 .body = json_text ? json_text : "{}",
                                 .body_len = strlen(json_text ? json_text : "{}")};
    struct connect_response r;
    struct error err = {0};
    if (connect_http_send(f->http, &rq, &r, &err) != 0 || r.status != 200)
        fail_msg("fake %s %s: %s %ld %s", f->url, path, err.msg, r.status,
                 r.body.data ? r.body.data : "");
    connect_response_free(&r);
}

/* The requests the fake was sent so far, as a JSON array of {method, path,
 * query, headers, body}; caller decrefs. */
static inline json_t *fake_log(struct fake_platform *f)
{
    struct connect_response r;
    struct error err = {0};
    assert_int_equal(connect_http_get(f->http, "/_fake/log", NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    json_t *log = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_non_null(log);
    connect_response_free(&r);
    return log;
}

#endif
