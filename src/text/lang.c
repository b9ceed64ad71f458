/* lang: guesses sv / fi / en / other for one tokenized text, cheaply enough
 * to run on every text before sentiment: function words from the lexicons
 * (one table lookup per token) plus letter patterns that single out Finnish
 * (long vowels, case endings) and Swedish (å). */
#include "text/text_internal.h"

#include <string.h>

static const char *const lang_names[] = {"sv", "fi", "en", "other", "auto"};

const char *text_lang_name(enum text_lang lang)
{
    return (unsigned)lang < ARRAY_LEN(lang_names) ? lang_names[lang] : "?";
}

int text_name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(s, names[i]))
            return (int)i;
    return -1;
}

int text_lang_parse(const char *s)
{
    return text_name_index(lang_names, ARRAY_LEN(lang_names), s);
}

struct suffix {
    const char *s;
    size_t n;
};
#define SUF(x)                                                                                     \
    {                                                                                              \
        x, sizeof x - 1                                                                            \
    }

static bool ends_with(const char *s, size_t n, struct suffix x)
{
    if (n < x.n + 3 || s[n - 1] != x.s[x.n - 1]) /* the last byte rules out most */
        return false;
    return memcmp(s + n - x.n, x.s, x.n) == 0;
}

/* Whether w[0..n) ends in one of the suffixes of x (ended by {0}). */
static bool ends_in(const char *w, size_t n, const struct suffix *x)
{
    for (; x->s; x++)
        if (ends_with(w, n, *x))
            return true;
    return false;
}

/* Case endings and clitics (Finnish), plural and derivational endings
 * (Swedish), grouped by their last byte (0xA4: the end of ä), so that a
 * word reads only the group of its own last byte. */
static const struct suffix fi_a[] = {SUF("ssa"), SUF("sta"), SUF("lla"),
                                     SUF("lta"), SUF("nna"), {0}},
                           fi_ae[] = {SUF("ssä"), SUF("stä"), SUF("llä"), SUF("ltä"),
                                      SUF("ttä"), SUF("nnä"), {0}},
                           fi_i[] = {SUF("ksi"), SUF("iin"), {0}},
                           fi_n[] = {SUF("nen"), SUF("kin"), SUF("han"), SUF("hän"),
                                     SUF("aan"), SUF("ään"), {0}},
                           fi_e[] = {SUF("mme"), SUF("tte"), {0}},
                           fi_t[] = {SUF("vat"), SUF("vät"), SUF("eet"), {0}},
                           sv_a[] = {SUF("arna"), SUF("orna"), SUF("erna"), {0}},
                           sv_n[] = {SUF("heten"), SUF("ningen"), {0}},
                           sv_e[] = {SUF("ande"), SUF("ende"), {0}},
                           sv_t[] = {SUF("ligt"), SUF("igt"), {0}}, none[] = {{0}};
static const struct {
    unsigned char last;
    const struct suffix *fi, *sv;
} endings[] = {{'a', fi_a, sv_a}, {0xA4, fi_ae, none}, {'i', fi_i, none},
               {'n', fi_n, sv_n}, {'e', fi_e, sv_e},   {'t', fi_t, sv_t}};

/* Letter evidence of one word, added to score[]; name: the word is
 * capitalised inside the text, a name in any language ("Love Aaron
 * Rodgers!!"), so its letters say nothing for Finnish. */
static void letter_cues(const char *w, size_t n, bool name, double *score)
{
    /* Locals, not score[]: stores through a double pointer could alias w
     * as far as the compiler knows, and it would reload every byte. */
    double sv = 0, fi = 0, en = 0;
    /* Finnish spells its own words without b c f q w x z, and g only in
     * "ng": a word with one is a name or a loan ("Good Old Graham Westley"),
     * and its double vowels say nothing for Finnish. */
    bool foreign = name;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)w[i];
        foreign |= a == 'b' || a == 'c' || a == 'f' || a == 'q' || a == 'w' || a == 'x' ||
                   a == 'z' || (a == 'g' && (i == 0 || w[i - 1] != 'n'));
    }
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned char a = (unsigned char)w[i], b = (unsigned char)w[i + 1];
        if (a == 0xC3) {
            if (b == 0xA5) { /* å: Swedish, never Finnish */
                sv += 0.6;
            } else if (b == 0xA4 || b == 0xB6) { /* ä ö: both */
                sv += 0.15;
                fi += 0.25;
                if (i + 3 < n && w[i + 2] == w[i] && w[i + 3] == w[i + 1]) /* ää öö */
                    fi += 0.5;
            }
        } else if (a == b) {
            if (a == 'a' || a == 'e' || a == 'i' || a == 'o' || a == 'u' || a == 'y')
                fi += 0.35;
        } else if (a == 'w' || (a == 't' && b == 'h')) {
            en += 0.2;
        }
    }
    bool fi_end = false, sv_end = false;
    unsigned char last = n ? (unsigned char)w[n - 1] : 0;
    for (size_t i = 0; i < ARRAY_LEN(endings); i++)
        if (endings[i].last == last) {
            fi_end = ends_in(w, n, endings[i].fi);
            sv_end = ends_in(w, n, endings[i].sv);
            break;
        }
    score[LANG_SV] += sv;
    if (!foreign)
        score[LANG_FI] += fi;
    score[LANG_EN] += en;
    if (fi_end)
        score[LANG_FI] += 0.3;
    if (sv_end)
        score[LANG_SV] += 0.3;
}

/* Whether a word has a letter of Latin Extended-A (U+0100-U+017F: Polish
 * ą ę ł ś ż, Czech ř ě, Hungarian ő, Turkish ş ...), which Swedish, Finnish
 * and English do not write; š and ž (Finnish loanwords: "šakki") excepted. */
static bool foreign_letter(const char *w, size_t n)
{
    /* Called only for words the tokenizer flagged TOKF_EXTA (a letter of
     * U+0100-U+017F, whose UTF-8 starts 0xC4 or 0xC5). */
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)w[i];
        if (a < 0xC4 || a > 0xC5)
            continue;
        if (a == 0xC4)
            return true;
        unsigned char b = i + 1 < n ? (unsigned char)w[i + 1] : 0;
        if (b != 0xA0 && b != 0xA1 && b != 0xBD && b != 0xBE)
            return true;
    }
    return false;
}

enum text_lang lang_guess(const struct text_tokens *t)
{
    struct lex_info info[TEXT_MAX_TOKENS];
    struct lex_counts c;
    if (lexicon_init(NULL) < 0)
        return LANG_OTHER;
    lexicon_find_all(t, info, &c);
    return lang_guess_counts(t, &c);
}

/* A word shared by n languages counts 1/n for each; in sixths, so the sum
 * is of integers. The three languages' sixths and the other languages'
 * count are 16-bit lanes of one sum (at most 6 * 1024), so a token costs
 * one load and one add (in lexicon_find_all's pass): what each of the 16
 * combinations of the four bits adds. */
#define SHARE(m)   ((m) == 0 ? 0 : (m) == 7 ? 2 : (m) == 3 || (m) == 5 || (m) == 6 ? 3 : 6)
#define LANE(m, l) ((uint64_t)(SHARE((m)&7) * (((m) >> (l)) & 1)) << (16 * (l)))
#define LANES(m)   (LANE(m, 0) | LANE(m, 1) | LANE(m, 2) | (uint64_t)(((m) >> LANG_OTHER) & 1) << 48)
const uint64_t lang_stop_lanes[16] = {
    LANES(0), LANES(1), LANES(2),  LANES(3),  LANES(4),  LANES(5),  LANES(6),  LANES(7),
    LANES(8), LANES(9), LANES(10), LANES(11), LANES(12), LANES(13), LANES(14), LANES(15),
};
#undef SHARE
#undef LANE
#undef LANES

enum text_lang lang_guess_counts(const struct text_tokens *t, const struct lex_counts *c)
{
    uint64_t sum = c->stops;
    int sixths[3] = {(int)(sum & 0xFFFF), (int)(sum >> 16 & 0xFFFF), (int)(sum >> 32 & 0xFFFF)};
    int others = (int)(sum >> 48);
    double score[LANG_COUNT] = {sixths[0] / 6.0, sixths[1] / 6.0, sixths[2] / 6.0, 0};
    /* Letter patterns cost a pass over every byte: only when function words
     * leave it open. */
    double first = 0, second = 0;
    for (int l = 0; l < 3; l++) {
        if (score[l] > first) {
            second = first;
            first = score[l];
        } else if (score[l] > second) {
            second = score[l];
        }
    }
    if (first < 2 || first - second < 1.5)
        for (size_t i = 0; i < t->n; i++) {
            const struct token *k = &t->tok[i];
            if (k->kind == TOK_WORD)
                letter_cues(t->norm + k->norm, k->nlen, i > 0 && (k->flags & TOKF_TITLE), score);
        }
    /* A word in letters none of the three writes counts as a function word
     * of another language: Polish without its function words in the
     * lexicon read as English for its w's and its "a", "i" and "to". */
    for (size_t i = 0; c->exta && i < t->n; i++) {
        const struct token *k = &t->tok[i];
        others += k->kind == TOK_WORD && (k->flags & TOKF_EXTA) &&
                  foreign_letter(t->norm + k->norm, k->nlen);
    }
    /* Function words of other languages outweigh letter patterns. */
    double top = 0.3 + others; /* below this, nothing really speaks for any of them */
    enum text_lang best = LANG_OTHER;
    for (int l = 0; l < 3; l++)
        if (score[l] > top) {
            top = score[l];
            best = (enum text_lang)l;
        }
    return best;
}
