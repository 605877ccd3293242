/* \summary: command line: parse flags and targets, run, render, exit code. */
#ifndef SRC_CLI_CLI_H
#define SRC_CLI_CLI_H

/* Returns the process exit status (DESIGN.md): 0, 1, 2 or 3. */
int cli_main(int argc, char **argv);

#endif
