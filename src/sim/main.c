/*
 * spotsim - a Binance-compatible spot exchange simulator (entry point).
 *
 * The simulator itself is not built yet: this entry point prints the planned command line and exits 2,
 * so scripts that depend on it fail loudly instead of silently trading nowhere.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: spotsim [--listen 127.0.0.1:PORT] [--account KEY:SECRET:ASSET=AMOUNT,...]\n"
	      "               [--symbols BTCUSDT,ETHUSDT,...] [--exchange-info FILE.json]\n"
	      "               [--replay SYMBOL=FILE.csv[.gz] ...] [--speed X] [--seed N]\n"
	      "               [--fault NAME[=VALUE] ...] [--fee-rate 0.001]\n"
	      "\n"
	      "spotsim is not implemented in this build yet: it only prints this text and exits 2.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 2;
	}
	usage(stderr);
	return 2;
}
