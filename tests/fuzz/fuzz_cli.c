/* \summary: libFuzzer target for the command-line value parsers, through
 * cli_main itself: the input is split at NUL bytes into option values,
 * each given to one of the value-taking options that read no file
 * (--format, --policy, --timeout, --target-timeout, --ehlo, --sni,
 * --probes, --warn-days, --at, --expect-name, --revocation, --domain,
 * --resolver, --var, --source, --auth-user), then a target that never
 * parses, so no run connects anywhere. Property: the exit status is 2 (a
 * usage error), whatever the values; sanitizers watch the parsers
 * (--at's time arithmetic, the number ranges).
 * specification: getopt_long(3); mxprobe(1) OPTIONS. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const opts[] = {
	"--format",   "--policy",    "--timeout", "--target-timeout", "--ehlo",	      "--sni",
	"--probes",   "--warn-days", "--at",	  "--expect-name",    "--revocation", "--domain",
	"--resolver", "--var",	     "--source",  "--auth-user",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *argv[40];
	int argc = 0;
	argv[argc++] = xstrdup("mxprobe");
	argv[argc++] = xstrdup("check");
	size_t pos = 1, k = data[0];
	while (pos <= size && argc < 36) {
		const uint8_t *z = memchr(data + pos, '\0', size - pos);
		size_t end = z ? (size_t)(z - data) : size;
		argv[argc++] = xstrdup(opts[k++ % ARRAY_LEN(opts)]);
		argv[argc++] = xstrndup((const char *)data + pos, end - pos);
		pos = end + 1;
	}
	argv[argc++] = xstrdup("[not a target"); /* target_parse refuses it: exit 2 before any connection */
	argv[argc] = NULL;
	/* usage errors go to stderr: keep the fuzzer's output readable */
	FILE *saved = stderr;
	FILE *null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
	int rc = cli_main(argc, argv);
	if (null) {
		stderr = saved;
		fclose(null);
	}
	if (rc != 2)
		abort();
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
