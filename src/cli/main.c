/* \summary: mxprobe's main(): the only place that exits. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
