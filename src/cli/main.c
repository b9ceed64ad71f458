/* main: dispatches `kanal COMMAND ...` to the command's file under cli/. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
