/* bench_common.c - helpers shared by aoe-bench's subcommands (bench.h). */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "mac.h"

void usage_error(const char *fmt, const char *val)
{
	fprintf(stderr, "aoe-bench: ");
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\ntry 'aoe-bench --help'\n");
}

int exit_for(int err)
{
	switch (err) {
	case 0: return EX_OK;
	case -EPROTO: return EX_AOE;
	case -EIO: return EX_ATA;
	case -ETIMEDOUT: return EX_NOANSWER;
	case -EILSEQ: return EX_VERIFY;
	default: return EX_FAIL;
	}
}

static char tname_buf[16];
const char *tname(const struct opts *o)
{
	snprintf(tname_buf, sizeof(tname_buf), "e%u.%u", o->shelf, o->slot);
	return tname_buf;
}

int report(struct ini *ini, const struct opts *o, int err)
{
	char line[256];

	if (!err)
		return EX_OK;
	ini_describe(ini, err, line, sizeof(line));
	fprintf(stderr, "aoe-bench: %s on %s: %s\n",
		o->have_target ? tname(o) : "target", o->iface, line);
	return exit_for(err);
}

/* Open the socket and find the target (unless its MAC was given). */
int connect_target(struct ini *ini, const struct opts *o,
			  struct ini_target *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->shelf = o->shelf;
	t->slot = o->slot;
	if (o->have_mac) {
		memcpy(t->mac, o->mac, 6);
		t->scnt = (uint8_t)aoe_sectors_per_frame(ini->mtu);
		t->bufcnt = 16;
		/* Still ask, to learn the real window and frame size; a
		 * silent target keeps the defaults above. */
		struct ini_target q = *t;
		unsigned r = ini->retries;
		ini->retries = 0;
		if (!ini_config(ini, &q, AOE_CCMD_READ, NULL, 0))
			*t = q;
		ini->retries = r;
		return 0;
	}
	err = ini_find(ini, o->shelf, o->slot, t);
	if (err)
		return err;
	if (t->scnt > aoe_sectors_per_frame(ini->mtu))
		t->scnt = (uint8_t)aoe_sectors_per_frame(ini->mtu);
	return 0;
}

void print_target(const struct ini_target *t)
{
	char mac[MAC_STR_LEN];

	mac_format(t->mac, mac);
	printf("e%u.%u mac=%s bufcnt=%u scnt=%u fwver=0x%04x aoever=%u cfg='%s'\n",
	       t->shelf, t->slot, mac, t->bufcnt, t->scnt, t->fwver, t->aoever,
	       t->cfg);
}

double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

