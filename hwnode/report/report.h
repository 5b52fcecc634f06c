/* The hardware node's report to nimbusd (POST /v1/report): what dom0 can
 * tell about the node. Parsing and JSON encoding are pure functions (no
 * I/O) so they are table-tested; nimbus-report.c gathers the text from
 * the system and sends the result. */
#ifndef NIMBUS_HWNODE_REPORT_H
#define NIMBUS_HWNODE_REPORT_H

#include <stddef.h>

#define REPORT_MAX_NICS  16
#define REPORT_MAX_PATHS 16
#define REPORT_STR       64

/* The lines of `xl info` we use. Fields stay zero / empty when absent. */
struct xl_info {
	char xen_version[REPORT_STR];  /* "4.17.7" (xen_major.minor+extra) */
	long nr_cpus;
	long total_memory_mb;
	long free_memory_mb;           /* what guests can still get */
	char xen_caps[REPORT_STR * 4];
};

/* One AoE path to a device: the target's MAC and the local interfaces
 * the driver uses to reach it. */
struct aoe_path {
	char target[18];               /* "52:54:00:aa:00:01" */
	char ifaces[REPORT_STR];       /* "eth0,eth1" */
};

struct nic {
	char name[REPORT_STR];
	char mac[18];
};

struct hw_report {
	const char *state;             /* "booted" */
	char mac[18];                  /* the boot NIC: the node's identity */
	char node[REPORT_STR];         /* nimbus.node=, may be empty */
	long cpus;
	long memory_mb;                /* free for guests */
	struct nic nics[REPORT_MAX_NICS];
	size_t n_nics;
	struct xl_info xl;
	int xl_ok;                     /* `xl info` ran and parsed */
	char xl_error[REPORT_STR * 2];
	char root[REPORT_STR];         /* "e1.0" */
	struct aoe_path paths[REPORT_MAX_PATHS];
	size_t n_paths;
	char kernel[REPORT_STR];
	long uptime_s;
};

/* Parses `xl info` output ("key   : value" lines). Returns 0, or -EINVAL
 * if no xen_version/nr_cpus/free_memory line is found (not Xen, or a
 * failed command). */
int xl_info_parse(const char *text, struct xl_info *out);

/* Parses the aoe driver's debugfs file for one device
 * (/sys/kernel/debug/aoe/eX.Y): each target is a line "MAC:nout:maxout:
 * nframes" (MAC as 12 hex digits) followed by tab-indented lines, the last
 * of which lists its interfaces. Returns the number of paths stored (at
 * most max), or -EINVAL on a malformed target line. */
int aoe_debugfs_parse(const char *text, struct aoe_path *paths, size_t max);

/* Formats 12 hex digits as "aa:bb:cc:dd:ee:ff"; -EINVAL if not hex. */
int mac_from_hex12(const char *hex, char out[18]);

/* Looks KEY up in a shell-style environment file (KEY=VALUE lines, '#'
 * comments, optional double quotes around VALUE), as the initramfs writes
 * /etc/nimbus/boot.env. Returns 0, -ENOENT if absent, -ENAMETOOLONG if the
 * value does not fit in outlen. */
int env_lookup(const char *text, const char *key, char *out, size_t outlen);

/* The JSON body of POST /v1/report; *json is malloc()ed, the caller frees
 * it. Returns 0 or -ENOMEM. */
int report_json(const struct hw_report *r, char **json);

#endif
