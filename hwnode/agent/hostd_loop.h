/* nimbus-hostd run: the hardware node's agent in dom0, nimbusd's only
 * control path to the node's hypervisor. It only ever connects out (to
 * nimbusd's report listener); nothing listens on the network for it.
 *
 * One epoll loop that never blocks:
 *  - a long-poll GET /v1/host/desired/MAC/GEN (35 s deadline), asked
 *    again right after each answer and 2 s after a failure;
 *  - POST /v1/host/observed after every change of the observed state,
 *    after every action, and every probe interval;
 *  - one child process at a time for probes and actions (virsh, xl),
 *    with a deadline, watched by the loop, never waited for;
 *  - a second child slot for one live migration (virsh migrate, up to
 *    600 s), so probes and other instances' actions go on meanwhile;
 *  - the node's libvirt TLS certificate (host_cert.h): at start and with
 *    nimbusd's desired state answers (at most every 30 s), when it is
 *    missing or expires within 7 days, a key and a CSR made in-process,
 *    POST /v1/host/certificate, the files written under --pki-dir, then
 *    `systemctl restart nimbus-libvirtd.service` in the child slot (a
 *    renewal's not while a live migration is under way).
 * A probe is one `virsh list` process (both lists, HOST_VIRSH_LIST_CMD),
 * `xl list` only while some domain runs, `xl info` at start, after a
 * domain started or stopped and every 60 s, and sysfs reads (instbr0, AoE
 * devices, the aoe driver's debugfs). After each probe the planner
 * (host_plan.c) picks the next step per instance; the first instance
 * with one gets it.
 *
 * What the agent remembers lives in the state directory (default
 * /run/nimbus/hostd, lost at reboot like libvirt's own definitions):
 *   NAME.xml      the domain XML last defined (`virsh define` reads it
 *                 as NAME.xml.new, renamed on success)
 *   NAME.state    reboot_seq applied and the last migration's record
 * so a restarted agent neither redefines every domain nor reboots one
 * twice, and still reports a migration it finished. */
#ifndef NIMBUS_HOSTD_LOOP_H
#define NIMBUS_HOSTD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "mac.h"
#include "agent/host_msg.h"

#define HOSTD_URI_DEFAULT       "xen:///system"
#define HOSTD_STATE_DIR_DEFAULT "/run/nimbus/hostd"
#define HOSTD_BRIDGE            "instbr0"

struct hostd_opts {
	uint32_t server_ip;              /* nimbusd's report listener, host order */
	uint16_t server_port;
	uint8_t mac[MAC_LEN];            /* the boot NIC: the node's identity */
	const char *uri;                 /* libvirt's URI for every virsh */
	const char *state_dir;
	const char *pki_dir;             /* libvirt's TLS files (host_cert.h) */
	unsigned probe_interval_s;
	char node[HMSG_NAME_MAX];        /* boot.env's NIMBUS_NODE: the name to report
					  * before nimbusd's desired state names it ("" none) */
	bool once;                       /* `probe`: one probe, the observed state on
					  * stdout, no nimbusd, no actions */
};

/* 0 after SIGTERM/SIGINT (run) or a printed probe (once), negative errno
 * when the loop cannot be set up. */
int hostd_run(const struct hostd_opts *o);

#endif
