/* cli: the `kanal` command line. Each subcommand lives in its own file and
 * has the signature below; argv[0] is the subcommand's name. */
#ifndef KANAL_CLI_H
#define KANAL_CLI_H

int cli_main(int argc, char **argv);

#endif
