/*
 * main.c: postroute-agent's entry point.
 *
 * For now only the offline detector ("scan") is wired; the sync loop and
 * the live logwatch take "-c FILE". Exit 2 on usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "scan.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: postroute-agent -c FILE [--once]\n"
	    "       postroute-agent scan [--rules FILE]... [--providers FILE] LOGFILE...\n");
}

int
main(int argc, char **argv)
{
	log_init(argv[0]);
	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scan_main(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
