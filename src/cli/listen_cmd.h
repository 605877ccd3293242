/* \summary: `mxprobe listen [ADDR:]PORT`: the command line's side of the
 * diagnostic receiver (src/listen). */
#ifndef SRC_CLI_LISTEN_CMD_H
#define SRC_CLI_LISTEN_CMD_H

/* Parses argv (argv[1] is "listen"), checks every local input, runs the
 * listener. Returns the exit status (listen.h: lsn_run; 2 on a usage or
 * configuration error before anything is bound). */
int cli_listen(int argc, char **argv);

#endif
