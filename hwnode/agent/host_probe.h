/* Parsers for what nimbus-hostd reads from dom0: the output of virsh and
 * xl, the aoe driver's sysfs names, boot.env's report address and the
 * error line of a failed command. Pure: text in, structs out, no I/O.
 * The text comes from other programs (and through them from libvirt and
 * the guests' names), so every parser takes any bytes, skips what it does
 * not understand and never writes past its output. Table-tested in
 * tests/unit/test_host_probe.c. */
#ifndef NIMBUS_HOST_PROBE_H
#define NIMBUS_HOST_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/host_msg.h"

/* The one virsh process of a probe prints both lists, separated by this
 * line (virsh's own `echo`):
 *   virsh -c URI 'list --all; echo @@nimbus-hostd-persistent; list --all --persistent --name' */
#define HOST_VIRSH_MARK "@@nimbus-hostd-persistent"
#define HOST_VIRSH_LIST_CMD "list --all; echo " HOST_VIRSH_MARK "; list --all --persistent --name"

/* One domain libvirt lists (and, once running, what xl says of it). */
struct host_dom {
	char name[HMSG_NAME_MAX];
	int id;                        /* Xen domain id, -1 when not running */
	enum hmsg_dom_state state;
	bool persistent;
	uint32_t memory_mib, vcpus;    /* from `xl list`; 0: not running or unknown */
};

/* virsh's state words ("running", "idle", "paused", "in shutdown", "shut
 * off", "crashed", "pmsuspended", "no state") and the message's names
 * ("blocked", "shutdown", "shutoff"): 0, or -EINVAL. */
int host_dom_state_parse(const char *s, enum hmsg_dom_state *out);

/* The output of HOST_VIRSH_LIST_CMD: the table of `list --all` ("Id Name
 * State" header, a dashed line, one row per domain), the mark, then the
 * persistent names one per line. Domains whose name is not a nimbus name
 * (a lower-case DNS label: Domain-0, anything an operator made by hand
 * with another name) are left out and counted in *skipped (dom0, id 0,
 * is not counted). At most max domains. The count, or -EINVAL when the
 * header or the mark is missing (virsh failed, or printed something else). */
int host_virsh_list_parse(const char *text, struct host_dom *doms, size_t max, size_t *skipped);

/* One row of `xl list`: "NAME ID MEM VCPUS STATE TIME". */
struct host_xl_row {
	char name[HMSG_NAME_MAX];
	uint32_t id;
	uint32_t memory_mib;
	uint32_t vcpus;
};

/* `xl list`: the rows (at most max; names too long for a nimbus name are
 * skipped), or -EINVAL without the "Name ID Mem VCPUs" header. */
int host_xl_list_parse(const char *text, struct host_xl_row *rows, size_t max);

/* Memory and vCPUs of the running domains in doms from xl's rows, by
 * name. Returns how many domains got them. */
size_t host_xl_apply(struct host_dom *doms, size_t n, const struct host_xl_row *rows, size_t nrows);

/* `xl info`, through report_parse.c's xl_info_parse plus xen_major and
 * xen_minor (from their lines, else from the version). 0 or -EINVAL. */
struct host_xen {
	char version[HMSG_VERSION_MAX];
	uint32_t major, minor;
	uint32_t cpus;
	uint64_t total_mib, free_mib;
};
int host_xl_info_parse(const char *text, struct host_xen *out);

/* An aoe block device's sysfs name, "etherd!eSHELF.SLOT" (or
 * "eSHELF.SLOT"), shelf 0..65534, slot 0..254. 0 or -EINVAL. */
int host_aoe_dev_parse(const char *name, uint16_t *shelf, uint8_t *slot);

/* Paths to one AoE device from its debugfs file (/sys/kernel/debug/aoe/
 * eS.S, report_parse.c's aoe_debugfs_parse): at most HMSG_MAX_PATHS, 0
 * for text that is not such a file. */
uint32_t host_aoe_paths(const char *debugfs_text);

/* A failed command's message for an operator: its last non-empty output
 * line, without virsh's "error: " prefix, printable ASCII only (anything
 * else becomes a space), truncated to cap - 1 bytes. "" for no output. */
void host_last_line(const char *out, size_t len, char *dst, size_t cap);

/* In place: every byte outside printable ASCII becomes a space. */
void host_printable(char *s);

/* "A.B.C.D:PORT" (boot.env's NIMBUS_REPORT, --server): 0 or -EINVAL. The
 * address in host byte order. */
int host_parse_server(const char *s, uint32_t *ip, uint16_t *port);

#endif
