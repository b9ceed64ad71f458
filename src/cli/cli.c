/* cli: the command table and dispatch. */
#include "cli/cli.h"
#include "base/base.h"

#include <stdio.h>

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: kanal COMMAND [options]\n");
        return 2;
    }
    if (str_eq(argv[1], "version")) {
        printf("kanal %s\n", KANAL_VERSION);
        return 0;
    }
    fprintf(stderr, "kanal: unknown command '%s'\n", argv[1]);
    return 2;
}
