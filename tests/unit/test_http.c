/* Unit tests for http/'s server object: two servers run in one process, each
 * with its own store, click log, metrics and sign-in limits, reached over
 * loopback with a minimal HTTP/1.0 client. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "http/internal.h"

#define METRICS_TOKEN "two-servers-metrics"

/* One request on a fresh connection; returns the status and fills body
 * (the caller frees it). */
static int fetch(int port, const char *method, const char *path, const char *json, struct buf *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct buf req = {0};
    buf_printf(&req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n", method, path);
    if (str_eq(path, "/metrics"))
        buf_puts(&req, "Authorization: Bearer " METRICS_TOKEN "\r\n");
    if (json)
        buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   strlen(json), json);
    else
        buf_puts(&req, "\r\n");
    assert_int_equal(write(fd, req.data, req.len), (ssize_t)req.len);
    buf_free(&req);
    struct buf in = {0};
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(&in, chunk, (size_t)n);
    close(fd);
    int status = 0;
    assert_int_equal(sscanf(in.data ? in.data : "", "HTTP/1.%*d %d", &status), 1);
    const char *start = strstr(in.data, "\r\n\r\n");
    buf_reset(body);
    buf_puts(body, start ? start + 4 : "");
    buf_free(&in);
    return status;
}

/* How many requests GET /healthz answered 200 on, as /metrics says. */
static long healthz_count(int port)
{
    struct buf body = {0};
    assert_int_equal(fetch(port, "GET", "/metrics", NULL, &body), 200);
    const char *key = "kanal_http_requests_total{method=\"GET\",route=\"/healthz\",code=\"200\"} ";
    const char *at = strstr(body.data, key);
    long n = at ? strtol(at + strlen(key), NULL, 10) : 0;
    buf_free(&body);
    return n;
}

struct two {
    char dir[64], db[2][96], log[2][96];
    struct server *srv[2];
    int port[2];
};

static int start_two(void **state)
{
    struct two *t = calloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/kanal-http-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    for (int i = 0; i < 2; i++) {
        snprintf(t->db[i], sizeof t->db[i], "%s/s%d.db", t->dir, i);
        snprintf(t->log[i], sizeof t->log[i], "%s/s%d-clicks.log", t->dir, i);
        struct server_config cfg = {.db_url = t->db[i],
                                    .host = "127.0.0.1",
                                    .port = 0,
                                    .threads = 2,
                                    .max_body = 65536,
                                    .click_log = t->log[i],
                                    .metrics_token = METRICS_TOKEN};
        struct error err = {0};
        t->srv[i] = http_server_start(&cfg, &err);
        if (!t->srv[i]) {
            fprintf(stderr, "server %d: %s\n", i, err.msg);
            return -1;
        }
        t->port[i] = http_server_port(t->srv[i]);
    }
    *state = t;
    return 0;
}

static int stop_two(void **state)
{
    struct two *t = *state;
    for (int i = 0; i < 2; i++) {
        if (t->srv[i])
            http_server_stop(t->srv[i]);
        unlink(t->db[i]);
        unlink(t->log[i]);
        char side[128];
        snprintf(side, sizeof side, "%s-wal", t->db[i]);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", t->db[i]);
        unlink(side);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

static void test_two_servers_answer_healthz(void **state)
{
    struct two *t = *state;
    assert_int_not_equal(t->port[0], t->port[1]);
    struct buf body = {0};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fetch(t->port[i], "GET", "/healthz", NULL, &body), 200);
        assert_non_null(strstr(body.data, "\"status\":\"ok\""));
    }
    buf_free(&body);
}

/* Metrics are counted where they happen: three on one server, one on the
 * other, and neither sees the other's. Counted once the answer is sent,
 * which may be a moment after the client has read it: poll briefly. */
static void test_metrics_are_per_server(void **state)
{
    struct two *t = *state;
    long before[2] = {healthz_count(t->port[0]), healthz_count(t->port[1])};
    struct buf body = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch(t->port[0], "GET", "/healthz", NULL, &body), 200);
    assert_int_equal(fetch(t->port[1], "GET", "/healthz", NULL, &body), 200);
    buf_free(&body);
    long got[2] = {0, 0};
    for (int tries = 0; tries < 100; tries++) {
        got[0] = healthz_count(t->port[0]);
        got[1] = healthz_count(t->port[1]);
        if (got[0] >= before[0] + 3 && got[1] >= before[1] + 1)
            break;
        usleep(20000);
    }
    assert_int_equal(got[0], before[0] + 3);
    assert_int_equal(got[1], before[1] + 1);
}

/* Five failed sign-ins for one email throttle it on that server only. */
static void test_sign_in_limits_are_per_server(void **state)
{
    struct two *t = *state;
    const char *guess = "{\"email\":\"victim@example.org\",\"password\":\"not it at all\"}";
    struct buf body = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(fetch(t->port[0], "POST", "/api/v1/session", guess, &body), 401);
    assert_int_equal(fetch(t->port[0], "POST", "/api/v1/session", guess, &body), 429);
    assert_int_equal(fetch(t->port[1], "POST", "/api/v1/session", guess, &body), 401);
    buf_free(&body);
}

/* An account's back-off: free tries, then 5, 10, 20, 40 seconds after each
 * failure, then never more than the cap. */
/* The per-address connection counts against a plain array: random opens
 * and closes over 40 addresses in a map of 64 slots, so that probes run
 * into each other and emptied slots have others to move back. */
static void test_peer_map_counts_like_an_array(void **state)
{
    (void)state;
    struct peer_map m;
    peer_map_init(&m, 31);
    assert_int_equal(m.cap, 64);
    unsigned char keys[40][PEER_KEY];
    int want[40] = {0};
    for (int k = 0; k < 40; k++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)k * 7919u)};
        assert_true(peer_key((struct sockaddr *)&a, keys[k]));
        assert_int_equal(keys[k][0], 4);
    }
    uint64_t r = 12345;
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        xorshift64(&r);
        int k = (int)(r % 40);
        if (want[k] && (r >> 32) % 2) {
            peer_map_drop(&m, keys[k]);
            if (--want[k] == 0)
                live--;
        } else if (want[k] || live < 32) {
            assert_int_equal(peer_map_add(&m, keys[k]), want[k] + 1);
            if (want[k]++ == 0)
                live++;
        } else {
            assert_int_equal(peer_map_add(&m, keys[k]), -1); /* half full */
        }
        assert_int_equal(m.n, live);
        int at = (int)((r >> 16) % 40);
        assert_int_equal(peer_map_count(&m, keys[at]), want[at]);
    }
    for (int k = 0; k < 40; k++)
        while (want[k]--)
            peer_map_drop(&m, keys[k]);
    assert_int_equal(m.n, 0);
    for (size_t i = 0; i < m.cap; i++)
        assert_int_equal(m.slots[i].key[0], 0);
    peer_map_free(&m);

    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    v6.sin6_addr.s6_addr[15] = 1;
    unsigned char key[PEER_KEY];
    assert_true(peer_key((struct sockaddr *)&v6, key));
    assert_int_equal(key[0], 6);
    assert_int_equal(key[16], 1);
    struct sockaddr other = {.sa_family = AF_UNIX};
    assert_false(peer_key(&other, key));
    assert_false(peer_key(NULL, key));
}

static void test_backoff_grows_to_its_cap(void **state)
{
    struct ratelimit *rl = ratelimit_new();
    int64_t t = 1000;
    for (int i = 0; i < 9; i++)
        ratelimit_fail(rl, "a:x", t);
    assert_int_equal(ratelimit_wait(rl, "a:x", 10, 60, t), 0);
    const int64_t want[] = {5, 10, 20, 40, 60, 60};
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        ratelimit_fail(rl, "a:x", t);
        assert_int_equal(ratelimit_wait(rl, "a:x", 10, 60, t), want[i]);
        assert_int_equal(ratelimit_wait(rl, "a:x", 10, 60, t + want[i] - 1), 1);
        t += want[i];
        assert_int_equal(ratelimit_wait(rl, "a:x", 10, 60, t), 0);
    }
    ratelimit_free(rl);
}

/* A hard limit lasts to the end of the window that the first failure
 * opened; twenty thousand other keys change nothing about it. */
static void test_hard_limit_is_per_key(void **state)
{
    struct ratelimit *rl = ratelimit_new();
    for (int i = 0; i < 4; i++)
        ratelimit_fail(rl, "p:victim", 100);
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "p:other%d", i);
        ratelimit_fail(rl, key, 100 + i / 200);
    }
    assert_int_equal(ratelimit_wait(rl, "p:victim", 5, 0, 200), 0);
    ratelimit_fail(rl, "p:victim", 200);
    assert_int_equal(ratelimit_wait(rl, "p:victim", 5, 0, 200), 800);
    assert_int_equal(ratelimit_wait(rl, "p:victim", 5, 0, 999), 1);
    assert_int_equal(ratelimit_wait(rl, "p:victim", 5, 0, 1000), 0);
    ratelimit_reset(rl, "p:victim");
    assert_int_equal(ratelimit_wait(rl, "p:victim", 5, 0, 300), 0);
    ratelimit_free(rl);
}

int main(void)
{
    log_set_level(LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_map_counts_like_an_array),
        cmocka_unit_test(test_backoff_grows_to_its_cap),
        cmocka_unit_test(test_hard_limit_is_per_key),
        cmocka_unit_test(test_two_servers_answer_healthz),
        cmocka_unit_test(test_metrics_are_per_server),
        cmocka_unit_test(test_sign_in_limits_are_per_server),
    };
    return cmocka_run_group_tests(tests, start_two, stop_two);
}
