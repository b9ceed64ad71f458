/* shared_data: the real-world fixtures under ../shared/data sit beside the
 * repository, not in it, so a clone has none. A test that reads them calls
 * needs_shared_data() before anything else (a skip jumps out of the test,
 * past any cleanup): where they are absent it skips and says why, once per
 * binary; with the environment variable CI set it fails instead, because CI
 * must run them. Include after cmocka.h. */
#ifndef KANAL_TESTS_SHARED_DATA_H
#define KANAL_TESTS_SHARED_DATA_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SHARED_DATA "../shared/data/"

static inline void needs_shared_data(void)
{
    static bool said;
    if (access(SHARED_DATA, R_OK) == 0)
        return;
    if (getenv("CI"))
        fail_msg("%s is absent: the tests that read real-world files must run in CI", SHARED_DATA);
    if (!said)
        print_message("skipped: needs %s (real-world files kept beside the repository, not in "
                      "it)\n",
                      SHARED_DATA);
    said = true;
    skip();
}

/* A file of ../shared/data opened for reading; skips (fails under CI) as
 * needs_shared_data() does when the data is not there at all. */
static inline FILE *open_shared_data(const char *path)
{
    needs_shared_data();
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    return f;
}

#endif
