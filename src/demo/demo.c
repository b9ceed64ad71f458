/* demo: Pensionsverket, a fictional Swedish pensions agency with Finnish and
 * English audiences: seven channels and two peers' pages, half a year of
 * posts with metric snapshots that grow after publishing, comments with the
 * desk's answers, campaigns and themes. Every number comes from one seeded
 * generator, so the same options give the same database. */
#include "demo/demo.h"
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- deterministic randomness ---------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double uniform(struct rng *r)
{
    return (double)(next_u64(r) >> 11) / 9007199254740992.0;
}

static int below(struct rng *r, int n)
{
    return (int)(uniform(r) * n);
}

static double normal(struct rng *r)
{
    double u = uniform(r), v = uniform(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* Social metrics are heavy-tailed: most posts do little, a few fly. */
static double lognormal(struct rng *r, double median, double sigma)
{
    return median * exp(sigma * normal(r));
}

/* ---- the organisation ----------------------------------------------------------------- */

struct demo_channel {
    const char *platform, *handle, *name, *team, *purpose, *audience, *lang;
    int followers;
    double posts_per_week, engagement; /* engagement: reactions per reach */
    const char *formats[4];
    bool peer;
};

static const struct demo_channel channels[] = {
    {"facebook",
     "pensionsverket",
     "Pensionsverket",
     "Kundservice",
     "dialogue",
     "Pensionärer och blivande pensionärer, 55+",
     "sv",
     48200,
     4,
     0.021,
     {"photo", "link", "video", "status"},
     false},
    {"instagram",
     "pensionsverket",
     "Pensionsverket",
     "Kommunikation",
     "reach",
     "Yrkesverksamma 30-55",
     "sv",
     21400,
     3,
     0.034,
     {"photo", "reel", "carousel", "story"},
     false},
    {"x",
     "pensionsverket",
     "Pensionsverket",
     "Press",
     "reach",
     "Journalister och opinionsbildare",
     "sv",
     15600,
     5,
     0.009,
     {"status", "link", "photo", "status"},
     false},
    {"linkedin",
     "pensionsverket",
     "Pensionsverket",
     "HR",
     "conversion",
     "Arbetssökande och samarbetspartner",
     "en",
     12100,
     2,
     0.017,
     {"link", "photo", "status", "link"},
     false},
    {"tiktok",
     "pensionsverket",
     "Pensionsverket",
     "Kommunikation",
     "reach",
     "Unga vuxna 18-30",
     "sv",
     8300,
     2,
     0.052,
     {"video", "video", "video", "video"},
     false},
    {"youtube",
     "pensionsverket",
     "Pensionsverket",
     "Kommunikation",
     "reach",
     "Alla som vill förstå pensionen",
     "sv",
     5200,
     1,
     0.012,
     {"video", "video", "live", "video"},
     false},
    {"facebook",
     "pensionsverket.suomeksi",
     "Pensionsverket suomeksi",
     "Kundservice",
     "dialogue",
     "Sverigefinnar",
     "fi",
     6100,
     2,
     0.026,
     {"photo", "link", "status", "photo"},
     false},
    {"facebook",
     "socialverket",
     "Socialverket (peer)",
     "",
     "",
     "",
     "sv",
     39000,
     4,
     0.018,
     {"photo", "link", "video", "status"},
     true},
    {"facebook",
     "arbetsverket",
     "Arbetsverket (peer)",
     "",
     "",
     "",
     "sv",
     27500,
     3,
     0.015,
     {"photo", "link", "status", "video"},
     true},
};

static const char *const tag_names[] = {"pension",     "premiepension",     "bedrägeri",
                                        "rekrytering", "digitala tjänster", "pensionsbesked"};
static const char *const tag_rules[] = {"pension* OR pensions*",
                                        "premiepension* OR fondval",
                                        "bedräg* OR \"falska sms\" OR huijau*",
                                        "jobb OR rekryter* OR \"join us\" OR hiring",
                                        "app* OR \"e-tjänst*\" OR digital*",
                                        "pensionsbesked* OR \"orange kuvert*\""};

struct demo_campaign {
    const char *name, *description;
    int start_day, length_days, tag;
};

/* Days are counted from the first day of the demo period. */
static const struct demo_campaign campaigns[] = {
    {"Kolla din pension", "Vårens påminnelse att logga in och se sin prognos.", 20, 35, 0},
    {"Premiepensionsvalet", "Informera om fondtorget och hur man byter fonder.", 75, 28, 1},
    {"Bedrägerivarning", "Varna för falska sms och samtal i Pensionsverkets namn.", 110, 21, 2},
    {"Rekrytering IT-utvecklare", "Locka utvecklare till våra digitala tjänster.", 130, 30, 3},
};

struct text {
    const char *body;
    int tag; /* index into tag_names, -1 for none */
};

static const struct text posts_sv[] = {
    {"Har du fått ditt orange kuvert? Pensionsbeskedet visar hur mycket du har tjänat in till "
     "din allmänna pension. Läs mer om vad siffrorna betyder på vår webbplats.",
     5},
    {"Visste du att du kan se en prognos över din framtida pension direkt i vår e-tjänst? Logga "
     "in med BankID och testa olika uttagsålder.",
     4},
    {"Varning! Just nu skickas falska sms i vårt namn. Vi ber dig aldrig att logga in via en "
     "länk i ett sms. Dela gärna så att fler får veta.",
     2},
    {"Vad är premiepension? En del av din allmänna pension placeras i fonder som du själv kan "
     "välja. Så här fungerar fondtorget.",
     1},
    {"Funderar du på när du ska gå i pension? Det lönar sig ofta att arbeta lite längre. Räkna "
     "på olika alternativ i vår pensionsprognos.",
     0},
    {"Vi svarar på dina frågor om pensionen i en direktsändning på torsdag kl 13. Skicka in "
     "dina frågor redan nu!",
     0},
    {"Ny i Sverige? Så här fungerar den allmänna pensionen, förklarat på fem minuter.", 0},
    {"Nu kan du ansöka om pension direkt i appen. Det tar bara några minuter.", 4},
    {"Vi söker utvecklare som vill bygga framtidens pensionstjänster. Är det du?", 3},
    {"Byter du fonder i premiepensionen? Jämför avgifter och risk innan du bestämmer dig.", 1},
    {"Din pension utbetalas den 18:e varje månad. Infaller den på en helg kommer pengarna "
     "vardagen innan.",
     0},
    {"Tips: Se till att dina kontaktuppgifter är rätt så att du inte missar viktig information "
     "om din pension.",
     4},
};

static const struct text posts_fi[] = {
    {"Oletko saanut oranssin kirjekuoren? Eläkeotteesta näet, kuinka paljon eläkettä olet "
     "ansainnut.",
     5},
    {"Varoitus! Nimissämme lähetetään vääriä tekstiviestejä. Emme koskaan pyydä kirjautumaan "
     "tekstiviestin linkin kautta.",
     2},
    {"Milloin kannattaa jäädä eläkkeelle? Laske eri vaihtoehtoja eläke-ennusteessamme.", 0},
    {"Voit nyt hakea eläkettä suoraan sovelluksessa. Se vie vain muutaman minuutin.", 4},
    {"Mikä on rahastoeläke? Osa yleisestä eläkkeestäsi sijoitetaan rahastoihin, jotka voit "
     "itse valita.",
     1},
    {"Eläkkeesi maksetaan kuukauden 18. päivänä. Jos se on viikonloppu, rahat tulevat "
     "edellisenä arkipäivänä.",
     0},
};

static const struct text posts_en[] = {
    {"We are hiring! Join us to build the digital pension services that 8 million people rely "
     "on.",
     3},
    {"How does the Swedish public pension work? A short guide for people new to Sweden.", 0},
    {"Our developers shipped a new version of the pension app this week: faster sign-in and a "
     "clearer forecast.",
     4},
    {"Beware of fraud: we never ask you to log in through a link in a text message.", 2},
    {"Meet our customer service team, who answered more than 400,000 questions last year.", 0},
    {"Premium pension explained: how to compare funds on fees and risk.", 1},
};

struct comment {
    const char *body;
    const char *sentiment;
};

static const struct comment comments_sv[] = {
    {"Tack för tydlig information!", "pos"},
    {"Jättebra att man kan göra det i appen nu 👍", "pos"},
    {"Äntligen en förklaring som man förstår, tack!", "pos"},
    {"När kommer beskedet i år?", "neu"},
    {"Hur gör jag om jag bor utomlands?", "neu"},
    {"Gäller det här även tjänstepensionen?", "neu"},
    {"Jag har väntat i telefonkö i 45 minuter, helt oacceptabelt.", "neg"},
    {"Appen fungerar inte, det går inte att logga in.", "neg"},
    {"Pensionen räcker inte till hyran. Skämmigt.", "neg"},
    {"Fick ett sådant sms igår, bra att ni varnar!", "pos"},
};

static const struct comment comments_fi[] = {
    {"Kiitos selkeästä tiedosta!", "pos"},
    {"Hienoa, että palvelu on myös suomeksi.", "pos"},
    {"Milloin eläkeote tulee tänä vuonna?", "neu"},
    {"Miten toimin, jos asun Suomessa?", "neu"},
    {"Sovellus ei toimi, en pääse kirjautumaan.", "neg"},
    {"Odotin puhelinjonossa tunnin. Ei hyvä.", "neg"},
};

static const struct comment comments_en[] = {
    {"Great initiative, thanks for sharing!", "pos"},
    {"Is the position open to remote candidates?", "neu"},
    {"What does the recruitment process look like?", "neu"},
    {"Applied last month and never heard back.", "neg"},
};

static const char *const replies[] = {
    "Hej! Tack för din fråga. Vi har skickat ett privat meddelande med mer information. /Anna",
    ("Hej! Vi beklagar väntetiden. Just nu är det många som ringer; du kan också skriva till oss "
     "i e-tjänsten. /Johan"),
    "Hei! Kiitos kysymyksestä. Lähetimme sinulle yksityisviestin. /Anna",
    "Hi! Thanks for asking, we have sent you a direct message with the details. /Sara",
};

static const char *const first_names[] = {"Anna",  "Lars",   "Karin",  "Erik", "Maria", "Per",
                                          "Eva",   "Mikael", "Aino",   "Juha", "Sara",  "Ahmed",
                                          "Leila", "Matti",  "Ingrid", "Olof"};
static const char *const last_names[] = {"Andersson", "Johansson", "Karlsson",  "Nilsson",
                                         "Virtanen",  "Korhonen",  "Lindqvist", "Hassan",
                                         "Berg",      "Lehtonen",  "Svensson",  "Öberg"};

/* ---- generation ------------------------------------------------------------------------ */

#define DAY 86400

struct gen {
    struct db *db;
    struct rng rng;
    const struct demo_options *o;
    struct demo_summary *s;
    int64_t start;
    int64_t now; /* nothing is dated after it */
    int64_t channel_ids[ARRAY_LEN(channels)];
    int64_t team_ids[ARRAY_LEN(channels)]; /* the channel's team; 0: none */
    int64_t tag_ids[ARRAY_LEN(tag_names)];
    int64_t campaign_ids[ARRAY_LEN(campaigns)];
    int msg_seq;
};

static json_t *obj(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *j = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    return j;
}

static int create_entity(struct gen *g, const struct entity *e, json_t *in, int64_t *id,
                         struct error *err)
{
    struct actor who = {0};
    json_t *out = entity_create(g->db, e, g->s->workspace_id, in, &who, err);
    json_decref(in);
    if (!out)
        return -1;
    *id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return 0;
}

/* The team named `name`, made the first time a channel names it. */
static int team_of(struct gen *g, const char *name, int64_t *id, struct error *err)
{
    *id = 0;
    if (!name[0])
        return 0;
    int found =
        db_scalar(g->db, err, id, "SELECT id FROM teams WHERE workspace_id = ? AND name = ?", "it",
                  g->s->workspace_id, name);
    if (found)
        return found < 0 ? -1 : 0;
    return create_entity(g, &entity_team, obj("{s:s}", "name", name), id, err);
}

static int make_structure(struct gen *g, struct error *err)
{
    for (size_t i = 0; i < ARRAY_LEN(channels); i++) {
        const struct demo_channel *c = &channels[i];
        if (team_of(g, c->team, &g->team_ids[i], err))
            return -1;
        json_t *team = g->team_ids[i] ? json_integer(g->team_ids[i]) : json_null();
        if (create_entity(g, &entity_channel,
                          obj("{s:s, s:s, s:s, s:o, s:s, s:s, s:b}", "platform", c->platform,
                              "handle", c->handle, "name", c->name, "team_id", team, "purpose",
                              c->purpose, "audience", c->audience, "is_peer", c->peer),
                          &g->channel_ids[i], err))
            return -1;
        g->s->channels++;
    }
    for (size_t i = 0; i < ARRAY_LEN(tag_names); i++) {
        if (create_entity(
                g, &entity_tag,
                obj("{s:s, s:s, s:s}", "name", tag_names[i], "kind", "theme", "rule", tag_rules[i]),
                &g->tag_ids[i], err))
            return -1;
        g->s->tags++;
    }
    for (size_t i = 0; i < ARRAY_LEN(campaigns); i++) {
        const struct demo_campaign *c = &campaigns[i];
        char from[21], to[21];
        time_format_iso(g->start + (int64_t)c->start_day * DAY, from);
        time_format_iso(g->start + (int64_t)(c->start_day + c->length_days) * DAY, to);
        if (create_entity(g, &entity_campaign,
                          obj("{s:s, s:s, s:I, s:s, s:s}", "name", c->name, "description",
                              c->description, "target_tag_id", (json_int_t)g->tag_ids[c->tag],
                              "starts_at", from, "ends_at", to),
                          &g->campaign_ids[i], err))
            return -1;
        g->s->campaigns++;
    }
    return 0;
}

/* Share of a post's final numbers reached `age` seconds after publishing:
 * most interaction comes in the first day. */
static double growth(int64_t age)
{
    return 1.0 - exp(-(double)age / (9.0 * 3600));
}

static int make_metrics(struct gen *g, const struct demo_channel *c, int64_t variant_id,
                        int64_t published, const char *format, bool in_campaign,
                        int64_t *final_comments, struct error *err)
{
    bool video = str_eq(format, "video") || str_eq(format, "reel") || str_eq(format, "live");
    double boost = (video ? 1.6 : 1.0) * (in_campaign ? 1.3 : 1.0);
    double reach = lognormal(&g->rng, c->followers * 0.18 * boost, 0.7);
    double impressions = reach * (1.15 + 0.5 * uniform(&g->rng));
    double reactions = reach * lognormal(&g->rng, c->engagement, 0.45);
    double comments = reactions * lognormal(&g->rng, 0.07, 0.5);
    double shares = reactions * lognormal(&g->rng, 0.09, 0.6);
    double saves = str_eq(c->platform, "instagram") || str_eq(c->platform, "tiktok")
                       ? reactions * lognormal(&g->rng, 0.12, 0.5)
                       : -1;
    double clicks = str_eq(format, "link") ? impressions * lognormal(&g->rng, 0.012, 0.5)
                                           : impressions * lognormal(&g->rng, 0.002, 0.6);
    double views = video ? reach * (0.6 + 0.3 * uniform(&g->rng)) : -1;
    static const int64_t ages[] = {3600, DAY, 7 * DAY, 28 * DAY};
    for (size_t i = 0; i < ARRAY_LEN(ages); i++) {
        int64_t at = published + ages[i];
        if (at > g->now)
            break;
        double f = growth(ages[i]);
        int64_t v[PM_COUNT] = {
            llround(reach * f),     llround(impressions * f),
            llround(reactions * f), llround(comments * f),
            llround(shares * f),    saves < 0 ? -1 : llround(saves * f),
            llround(clicks * f),    views < 0 ? -1 : llround(views * f),
        };
        if (post_metrics_add(g->db, variant_id, at, v, err) < 0)
            return -1;
        g->s->post_metrics++;
        *final_comments = v[PM_COMMENTS];
    }
    return 0;
}

static const char *author(struct gen *g, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s", first_names[below(&g->rng, ARRAY_LEN(first_names))],
             last_names[below(&g->rng, ARRAY_LEN(last_names))]);
    return buf;
}

/* Office hours in Stockholm, roughly: answers land between 07 and 17 UTC
 * on weekdays, so response times are longer at night and on weekends. */
static int64_t next_office_time(int64_t t)
{
    for (;;) {
        int64_t day = t >= 0 ? t / DAY : (t - DAY + 1) / DAY;
        int weekday = (int)((day + 3) % 7); /* 0 = Monday */
        int64_t sec = t - day * DAY;
        if (weekday < 5 && sec >= 7 * 3600 && sec < 17 * 3600)
            return t;
        if (weekday < 5 && sec < 7 * 3600)
            t = day * DAY + 7 * 3600;
        else
            t = (day + 1) * DAY + 7 * 3600;
    }
}

static int make_comments(struct gen *g, size_t ci, int64_t variant_id, int64_t published,
                         const char *lang, int64_t count, struct error *err)
{
    const struct demo_channel *c = &channels[ci];
    const struct comment *pool = comments_sv;
    size_t npool = ARRAY_LEN(comments_sv);
    int reply_ix = 0;
    if (str_eq(lang, "fi"))
        pool = comments_fi, npool = ARRAY_LEN(comments_fi), reply_ix = 2;
    else if (str_eq(lang, "en"))
        pool = comments_en, npool = ARRAY_LEN(comments_en), reply_ix = 3;
    int64_t n = count < 8 ? count : 8 + (count - 8) / 10;
    if (n > 25)
        n = 25;
    for (int64_t i = 0; i < n; i++) {
        const struct comment *cm = &pool[below(&g->rng, (int)npool)];
        int64_t at = published + (int64_t)(lognormal(&g->rng, 3.0, 1.2) * 3600);
        if (at > g->now - 60)
            continue;
        char pid[32], name[64];
        snprintf(pid, sizeof pid, "demo-c%d", ++g->msg_seq);
        bool recent = at > g->o->end - 2 * DAY;
        bool question = str_eq(cm->sentiment, "neu") || str_eq(cm->sentiment, "neg");
        bool answered = !c->peer && question && !recent && uniform(&g->rng) < 0.85;
        struct message_in m = {
            .channel_id = g->channel_ids[ci],
            .variant_id = variant_id,
            .kind = "comment",
            .platform_id = pid,
            .author_name = author(g, name, sizeof name),
            .body = cm->body,
            .lang = lang,
            .sentiment = cm->sentiment,
            .sentiment_score = str_eq(cm->sentiment, "pos")   ? 0.6
                               : str_eq(cm->sentiment, "neg") ? -0.6
                                                              : 0.0,
            .status = c->peer    ? "closed"
                      : answered ? "answered"
                      : recent   ? "open"
                                 : "closed",
            .created_at = at,
        };
        int64_t mid = 0;
        if (message_upsert(g->db, g->s->workspace_id, &m, &mid, err) < 0)
            return -1;
        g->s->messages++;
        if (g->team_ids[ci] && db_run(g->db, err, "UPDATE messages SET team_id = ? WHERE id = ?",
                                      "ii", g->team_ids[ci], mid) < 0)
            return -1;
        if (!answered)
            continue;
        int64_t reply_at = next_office_time(at + (int64_t)(lognormal(&g->rng, 1.5, 0.9) * 3600));
        if (reply_at > g->now - 60)
            continue;
        snprintf(pid, sizeof pid, "demo-r%d", ++g->msg_seq);
        struct message_in r = {
            .channel_id = g->channel_ids[ci],
            .variant_id = variant_id,
            .parent_id = mid,
            .kind = "reply",
            .platform_id = pid,
            .author_name = c->name,
            .author_handle = c->handle,
            .body = replies[str_eq(cm->sentiment, "neg") && reply_ix == 0 ? 1 : reply_ix],
            .lang = lang,
            .status = "closed",
            .is_own = true,
            .created_at = reply_at,
        };
        if (message_upsert(g->db, g->s->workspace_id, &r, NULL, err) < 0)
            return -1;
        g->s->messages++;
    }
    return 0;
}

static int make_posts(struct gen *g, struct error *err)
{
    for (size_t ci = 0; ci < ARRAY_LEN(channels); ci++) {
        const struct demo_channel *c = &channels[ci];
        double per_day = c->posts_per_week / 7.0;
        for (int d = 0; d < g->o->days; d++) {
            int64_t day = g->start + (int64_t)d * DAY;
            int weekday = (int)(((day / DAY) + 3) % 7);
            double p = per_day * (weekday >= 5 ? 0.4 : 1.15);
            if (uniform(&g->rng) >= p)
                continue;
            const struct text *pool = posts_sv;
            size_t npool = ARRAY_LEN(posts_sv);
            const char *lang = c->lang;
            if (str_eq(lang, "fi"))
                pool = posts_fi, npool = ARRAY_LEN(posts_fi);
            else if (str_eq(lang, "en"))
                pool = posts_en, npool = ARRAY_LEN(posts_en);
            const struct text *t = &pool[below(&g->rng, (int)npool)];
            const char *format = c->formats[below(&g->rng, 4)];
            /* Posting hours cluster in the morning and at lunch, Stockholm time. */
            int hour = 6 + below(&g->rng, 4) + (uniform(&g->rng) < 0.4 ? 4 : 0);
            int64_t published = day + hour * 3600 + below(&g->rng, 60) * 60;
            if (published > g->now)
                continue; /* not yet: the demo writes no plans */
            int64_t campaign = 0;
            for (size_t k = 0; k < ARRAY_LEN(campaigns) && !c->peer; k++) {
                int64_t from = g->start + (int64_t)campaigns[k].start_day * DAY;
                int64_t to = from + (int64_t)campaigns[k].length_days * DAY;
                if (published >= from && published < to && t->tag == campaigns[k].tag)
                    campaign = g->campaign_ids[k];
            }
            char pid[40], link[96], permalink[160];
            snprintf(pid, sizeof pid, "demo-%s-%d", c->platform, g->s->posts + 1);
            snprintf(link, sizeof link, "https://pensionsverket.example/artikel/%d",
                     below(&g->rng, 900) + 100);
            snprintf(permalink, sizeof permalink, "https://%s.example/%s/posts/%s", c->platform,
                     c->handle, pid);
            struct platform_post pp = {
                .channel_id = g->channel_ids[ci],
                .platform_id = pid,
                .body = t->body,
                .format = format,
                .permalink = permalink,
                .lang = lang,
                .link_url = str_eq(format, "link") ? link : NULL,
                .published_at = published,
                .campaign_id = campaign,
            };
            int64_t vid = 0, post_id = 0, comments = 0;
            if (post_upsert_platform(g->db, g->s->workspace_id, &pp, &vid, &post_id, NULL, err) < 0)
                return -1;
            g->s->posts++;
            g->s->variants++;
            if (t->tag >= 0 && !c->peer && post_tag(g->db, post_id, g->tag_ids[t->tag], err))
                return -1;
            if (make_metrics(g, c, vid, published, format, campaign != 0, &comments, err) ||
                make_comments(g, ci, vid, published, lang, comments, err))
                return -1;
        }
    }
    return 0;
}

static int make_channel_metrics(struct gen *g, struct error *err)
{
    for (size_t ci = 0; ci < ARRAY_LEN(channels); ci++) {
        const struct demo_channel *c = &channels[ci];
        /* Follower counts drift upward, faster on the young platforms. */
        double daily = str_eq(c->platform, "tiktok") ? 0.0022
                       : str_eq(c->platform, "x")    ? -0.0002
                                                     : 0.0006;
        double followers = c->followers * exp(-daily * g->o->days);
        for (int d = 0; d <= g->o->days; d++) {
            followers *= exp(daily + 0.0008 * normal(&g->rng));
            double reach = c->followers * lognormal(&g->rng, 0.05, 0.3);
            double impressions = reach * (1.3 + 0.3 * uniform(&g->rng));
            int64_t at = g->start + (int64_t)d * DAY;
            if (at > g->now)
                continue;
            if (channel_metrics_add(g->db, g->channel_ids[ci], at, llround(followers),
                                    llround(reach), llround(impressions), err) < 0)
                return -1;
            g->s->channel_metrics++;
        }
    }
    return 0;
}

int demo_fill(struct db *db, const struct demo_options *o, struct demo_summary *s,
              struct error *err)
{
    memset(s, 0, sizeof *s);
    struct gen g = {.db = db, .rng = {o->seed}, .o = o, .s = s};
    g.start = o->end - (int64_t)(o->days - 1) * DAY;
    g.now = o->now ? o->now : time_now();
    if (g.now > o->end + DAY)
        g.now = o->end + DAY;
    if (db_begin(db, err))
        return -1;
    struct actor system = {0};
    json_t *in = obj("{s:s, s:s, s:s}", "name", "Pensionsverket (demo)", "slug", "pensionsverket",
                     "timezone", "Europe/Stockholm");
    json_t *ws = entity_create(db, &entity_workspace, 0, in, &system, err);
    json_decref(in);
    if (!ws) {
        if (err && err->kind == ERR_CONFLICT)
            error_set(err, ERR_CONFLICT, "this database already has the demo workspace");
        goto fail;
    }
    s->workspace_id = json_integer_value(json_object_get(ws, "id"));
    json_decref(ws);
    if (make_structure(&g, err) || make_posts(&g, err) || make_channel_metrics(&g, err))
        goto fail;
    if (o->create_user) {
        int found =
            db_scalar(db, err, NULL, "SELECT 1 FROM users WHERE email = ?", "t", DEMO_EMAIL);
        if (found < 0 || (found == 0 && user_create(db, DEMO_EMAIL, "Demo Admin", "admin",
                                                    DEMO_PASSWORD, NULL, err)))
            goto fail;
    }
    return db_end(db, 0, err);
fail:
    db_rollback(db);
    return -1;
}
