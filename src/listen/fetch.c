/* fetch: one HTTP(S) GET of a source with libcurl, as a polite and careful
 * client: conditional (ETag / Last-Modified), compressed, at most 5
 * redirects, a timeout and a size cap, and never to an address inside the
 * network (loopback, private, link-local) unless an admin allows it. The
 * address is checked on every socket libcurl opens, i.e. after DNS and
 * after each redirect, so a name that resolves inward cannot slip past. */
#include "listen/listen.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* An IPv4 address in host order. */
static bool v4_private(uint32_t a)
{
    return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
           (a & 0xffc00000u) == 0x64400000u || /* 100.64/10, carrier NAT */
           (a & 0xffff0000u) == 0xa9fe0000u || /* 169.254/16, link-local, cloud metadata */
           (a & 0xfff00000u) == 0xac100000u || /* 172.16/12 */
           (a & 0xffff0000u) == 0xc0a80000u || /* 192.168/16 */
           (a & 0xffffff00u) == 0xc0000000u || /* 192.0.0/24 */
           (a & 0xfffe0000u) == 0xc6120000u || /* 198.18/15 */
           (a >> 28) >= 0xe;                   /* multicast, reserved, broadcast */
}

/* The address is copied out of the socket address rather than read through
 * a cast pointer: the compiler may assume a struct sockaddr_in and a struct
 * sockaddr never alias, and did (a mapped address came out wrong at -O2). */
bool listen_address_private(const struct sockaddr *sa)
{
    sa_family_t family;
    memcpy(&family, (const char *)sa + offsetof(struct sockaddr, sa_family), sizeof family);
    if (family == AF_INET) {
        struct in_addr in;
        memcpy(&in, (const char *)sa + offsetof(struct sockaddr_in, sin_addr), sizeof in);
        return v4_private(ntohl(in.s_addr));
    }
    if (family == AF_INET6) {
        unsigned char b[16];
        memcpy(b, (const char *)sa + offsetof(struct sockaddr_in6, sin6_addr), sizeof b);
        static const unsigned char zero[16];
        /* IPv4 inside IPv6 (mapped, or NAT64's well-known prefix): the v4 decides. */
        if ((!memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff) ||
            (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && !memcmp(b + 4, zero, 8)))
            return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                              b[15]);
        bool unspecified_or_loopback = !memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1);
        return unspecified_or_loopback || (b[0] & 0xfe) == 0xfc || /* fc00::/7 unique local */
               (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||          /* fe80::/10 link-local */
               b[0] == 0xff;                                       /* multicast */
    }
    return true; /* no other family is fetched from */
}

struct transfer {
    const struct fetch_opts *opts;
    struct fetch_result *out;
    bool too_big;
    char refused[INET6_ADDRSTRLEN];
};

static curl_socket_t open_socket(void *p, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transfer *t = p;
    if (!t->opts->allow_private && listen_address_private(&a->addr)) {
        const void *addr = a->family == AF_INET
                               ? (const void *)&((struct sockaddr_in *)&a->addr)->sin_addr
                               : (const void *)&((struct sockaddr_in6 *)&a->addr)->sin6_addr;
        inet_ntop(a->family, addr, t->refused, sizeof t->refused);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    if (t->out->body.len + n > t->opts->max_bytes) {
        t->too_big = true;
        return 0;
    }
    buf_append(&t->out->body, p, n);
    return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0)
        return;
    const char *v = line + k, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    struct fetch_result *r = t->out;
    if (n > 5 && !strncmp(p, "HTTP/", 5)) {
        /* A new response (after a redirect): its headers replace the last's. */
        r->etag[0] = r->last_modified[0] = r->content_type[0] = r->content_language[0] = '\0';
        return n;
    }
    header_value(p, n, "etag:", r->etag, sizeof r->etag);
    header_value(p, n, "last-modified:", r->last_modified, sizeof r->last_modified);
    header_value(p, n, "content-type:", r->content_type, sizeof r->content_type);
    header_value(p, n, "content-language:", r->content_language, sizeof r->content_language);
    return n;
}

int listen_fetch(const char *url, const char *etag, const char *last_modified,
                 const struct fetch_opts *opts, struct fetch_result *out, struct error *err)
{
    int rc = -1;
    CURL *h = NULL;
    struct curl_slist *headers = NULL;
    struct transfer t = {.opts = opts, .out = out};
    memset(out, 0, sizeof *out);
    if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
        error_field(err, ERR_INVALID, "url", "%s: only http and https addresses are fetched", url);
        goto fail;
    }
    h = curl_easy_init();
    if (!h) {
        error_set(err, ERR_INTERNAL, "fetch: libcurl could not start");
        goto fail;
    }
    char agent[96];
    snprintf(agent, sizeof agent, "kanal-listen/1 (+feed reader)");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, opts->one_hop ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->timeout_ms < 10000 ? opts->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opts->max_bytes);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    /* A proxy from the environment would be connected to instead of the
     * feed's host, and the address check would judge the proxy. */
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    char line[600];
    if (etag && *etag && strlen(etag) < 512) {
        snprintf(line, sizeof line, "If-None-Match: %s", etag);
        headers = curl_slist_append(headers, line);
    }
    if (last_modified && *last_modified && strlen(last_modified) < 512) {
        snprintf(line, sizeof line, "If-Modified-Since: %s", last_modified);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    char *final = NULL;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &final);
    snprintf(out->final_url, sizeof out->final_url, "%s", final ? final : url);
    if (t.refused[0]) {
        error_set(err, ERR_DENIED,
                  "%s: refused to connect to %s, an address inside the network (an admin may "
                  "allow private addresses)",
                  url, t.refused);
        goto fail;
    }
    if (t.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        error_set(err, ERR_LIMIT, "%s: the answer is larger than %zu bytes", url, opts->max_bytes);
        goto fail;
    }
    if (cc == CURLE_TOO_MANY_REDIRECTS) {
        error_set(err, ERR_INVALID, "%s: more than 5 redirects", url);
        goto fail;
    }
    if (cc != CURLE_OK) {
        error_set(err, ERR_INVALID, "%s: %s", url, curl_easy_strerror(cc));
        goto fail;
    }
    bool moved = out->status == 301 || out->status == 302 || out->status == 303 ||
                 out->status == 307 || out->status == 308;
    if (opts->one_hop && moved) {
        char *to = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &to);
        if (!to || !*to) {
            error_set(err, ERR_INVALID, "%s: HTTP %ld without a Location", url, out->status);
            goto fail;
        }
        if (strlen(to) >= sizeof out->location) {
            error_set(err, ERR_INVALID, "%s: redirected to an address too long to follow", url);
            goto fail;
        }
        snprintf(out->location, sizeof out->location, "%s", to);
        buf_free(&out->body); /* a redirect's page is not read */
        rc = 0;
        goto done;
    }
    if (out->status != 200 && out->status != 304) {
        error_set(err, ERR_INVALID, "%s: the server answered HTTP %ld", url, out->status);
        goto fail;
    }
    rc = 0;
done:
fail:
    curl_slist_free_all(headers);
    if (h)
        curl_easy_cleanup(h);
    if (rc)
        buf_free(&out->body);
    return rc;
}
