/* fuzz_sentiment: tokenizer, language guess, sentiment in every language,
 * the learner, and learner blobs, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct text_tokens t;
    static struct learner *m;
    if (!m)
        m = learner_new();
    text_tokenize(&t, (const char *)data, size);
    for (size_t i = 0; i < t.n; i++)
        if (t.tok[i].off + t.tok[i].len > size || t.tok[i].norm + t.tok[i].nlen > sizeof t.norm)
            abort();
    for (int l = LANG_SV; l <= LANG_AUTO; l++) {
        struct sentiment s;
        sentiment_score_tokens(&t, (enum text_lang)l, &s);
        if (!(s.score >= -1 && s.score <= 1) || s.label > SENT_POS)
            abort();
    }
    learner_train(m, &t, LANG_AUTO, (enum sentiment_label)(size % 3));
    struct sentiment s;
    learner_score(m, &t, LANG_AUTO, &s);
    if (!(s.score >= -1 && s.score <= 1))
        abort();
    struct error err;
    struct learner *x = learner_deserialize(data, size, &err);
    learner_free(x);
    return 0;
}
