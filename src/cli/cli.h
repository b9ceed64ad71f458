/* cli: the `kanal` command line. Each subcommand lives in its own file as
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand's name,
 * and returns the process exit status (0 ok, 1 failed, 2 usage). */
#ifndef KANAL_CLI_H
#define KANAL_CLI_H

int cli_main(int argc, char **argv);

int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_sentiment(int argc, char **argv);

#endif
