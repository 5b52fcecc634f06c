/* nimbusd's configuration file: line-based "key value...", '#' comments.
 * The parser does no I/O: it fills a fresh struct from text, and the caller
 * applies it only when it is valid (`nimbusd -t` stops there). The
 * provisioning part is provisioning's struct prov_config (provision.h),
 * filled here. */
#ifndef NIMBUS_CONFIG_H
#define NIMBUS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "admin_auth.h"
#include "provision.h"

#define CONFIG_MAX_BYTES (64 * 1024)

struct nimbusd_config {
	struct prov_config prov;     /* network, files, OMAPI, discovery image */
	unsigned prefix;             /* subnet prefix length */
	uint32_t node_pool_start;    /* "pool": fixed addresses given to nodes */
	uint32_t node_pool_end;      /* (host byte order) */
	uint32_t report_ip;          /* listen-report address (port in prov) */
	char socket[PROV_PATH_MAX];  /* admin API Unix socket */
	mode_t socket_mode;          /* who may administer: file permissions */
	char admin_user[ADMIN_NAME_MAX];  /* and the peer's credentials: */
	char admin_group[ADMIN_NAME_MAX]; /* root, these ("" = nimbusd's group) */
	char tftpd_pidfile[PROV_PATH_MAX]; /* in.tftpd's: only its opens count */
	char database[PROV_PATH_MAX];
	unsigned lost_after;         /* seconds without a report -> lost */
	/* Replicated volumes: storage nodes' replication addresses, the AoE
	 * shelves volumes get, DRBD's first port (port = base + minor). */
	uint32_t repl_net;           /* host order */
	unsigned repl_prefix;
	uint16_t shelf_min, shelf_max;
	uint16_t drbd_port_base;
	/* Volume import: the interface on the storage network nimbusd's
	 * aoe-bench writes through ("" = import refused), and aoe-bench. */
	char aoe_interface[16];
	char aoe_bench[PROV_PATH_MAX];
	char ca_dir[PROV_PATH_MAX];  /* the CA that signs hardware nodes' libvirt certificates */
};

void config_defaults(struct nimbusd_config *cfg);

/* Parses text into cfg (after config_defaults) and checks the whole
 * (required keys, addresses inside the subnet, pools not overlapping).
 * Returns 0, or -EINVAL with "line N: what is wrong with which value" in
 * err. */
int config_parse(const char *text, struct nimbusd_config *cfg, char *err,
		 size_t errlen);

/* What SIGHUP may change. Compares two parsed configurations: the keys
 * whose values differ go, space-separated, to changed (applied at run time)
 * or to restart (the admin socket, the database and the report listener
 * are opened once, at start-up). Returns the number of differing keys. */
int config_diff(const struct nimbusd_config *cur, const struct nimbusd_config *next,
		char *changed, size_t changed_len, char *restart, size_t restart_len);

/* Copies the start-up-only settings of cur into next, so next can replace
 * cur in a running nimbusd. */
void config_keep_startup(struct nimbusd_config *next, const struct nimbusd_config *cur);

/* Reads (at most CONFIG_MAX_BYTES) and parses a file; err as above. */
int config_load(const char *path, struct nimbusd_config *cfg, char *err,
		size_t errlen);

#endif
