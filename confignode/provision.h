/* Provisioning: what nimbusd's state becomes on the real isc-dhcpd and
 * tftp-hpa. nimbusd fills these plain structs from its configuration file
 * and database and calls the functions below; they generate dhcpd.conf and
 * pxelinux.cfg/ files (pure generators in gen_dhcp.c / gen_pxe.c), install
 * them atomically, and add/remove host objects in the running dhcpd through
 * OMAPI (dhcp_omapi.c), so adding a node never restarts dhcpd.
 *
 * Every function returns 0 or a negative errno and logs what failed with
 * its context (node name, MAC, path). Nothing here exits or keeps state
 * between calls; nothing interpolates an unchecked string into a generated
 * file: the prov_*_validate() functions run first and refuse anything
 * validate.h's rules (the API's) refuse. */
#ifndef NIMBUS_PROVISION_H
#define NIMBUS_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "validate.h"

#define PROV_NAME_MAX    64   /* DNS label (<= 63) + NUL; also image names */
#define PROV_PATH_MAX    256  /* file paths (absolute or TFTP-relative) */
#define PROV_CMDLINE_MAX 1024 /* kernel / Xen command lines */
#define PROV_SECRET_MAX  128  /* OMAPI secret, base64 */
/* "01-aa-bb-cc-dd-ee-ff" + NUL: pxelinux's per-MAC file name (ARP type 1) */
#define PROV_PXE_NAME_LEN 21

/* A boot image. Paths are relative to the TFTP root ("images/st/vmlinuz"):
 * they are what pxelinux asks in.tftpd for. Characters allowed in paths:
 * [A-Za-z0-9._/+-], no "..", no leading '/'. Empty xen = not a Xen image. */
struct prov_image {
	char name[PROV_NAME_MAX];
	char kernel[PROV_PATH_MAX];
	char initrd[PROV_PATH_MAX];     /* may be empty (no initrd) */
	char xen[PROV_PATH_MAX];        /* hw role: Xen hypervisor, booted by mboot.c32 */
	char xen_cmdline[PROV_CMDLINE_MAX]; /* Xen's own arguments; may be empty */
	char cmdline[PROV_CMDLINE_MAX]; /* kernel (dom0) command line; may be empty */
};

/* A node as provisioning sees it. The generators add
 * "nimbus.report=ADDRESS:PORT nimbus.node=NAME" to the kernel command line. */
struct prov_node {
	char name[PROV_NAME_MAX];       /* DNS label; also the dhcpd host name */
	uint8_t mac[MAC_LEN];
	uint32_t ip;                    /* fixed address, inside the subnet */
	enum node_role role;            /* validate.h: the one role type */
	struct prov_image image;        /* the resolved image (role default or override) */
};

/* The provisioning network and files, from nimbusd's configuration file. */
struct prov_config {
	/* Addresses in host byte order, as everywhere in nimbusd (validate.h
	 * parses and formats them, the database stores them). */
	uint32_t subnet;                /* network address, e.g. 10.77.0.0 */
	uint32_t netmask;               /* e.g. 255.255.255.0 */
	uint32_t address;               /* config node: next-server and report address */
	uint16_t report_port;           /* nimbusd's TCP report listener */
	uint32_t pool_start;            /* dynamic range for unknown (discovery) machines */
	uint32_t pool_end;

	char tftp_root[PROV_PATH_MAX];  /* absolute; nimbusd owns pxelinux.cfg/ in it */
	char dhcpd_conf[PROV_PATH_MAX]; /* absolute; installed by rename() */
	char dhcpd_bin[PROV_PATH_MAX];  /* "/usr/sbin/dhcpd": used for `dhcpd -t -cf` */
	/* Optional (empty = none): an operator's file of extra dhcpd statements,
	 * included at the end of the generated dhcpd.conf and therefore checked
	 * by `dhcpd -t` with it. */
	char dhcpd_include[PROV_PATH_MAX];

	/* OMAPI on 127.0.0.1:omapi_port. Port 0 = OMAPI disabled (the
	 * omapi functions then return -ENOTCONN and dhcpd.conf has no omapi). */
	uint16_t omapi_port;
	char omapi_key_name[PROV_NAME_MAX];  /* e.g. "omapi_key" */
	char omapi_algorithm[32];            /* "HMAC-MD5" (dhcpd's name for it) */
	char omapi_secret[PROV_SECRET_MAX];  /* base64 */

	/* "DHCP answered" hook (empty = none): dhcpd.conf's `on commit` runs
	 *   execute(dhcp_hook, "--socket", admin_socket, "hook", "dhcp", MAC, IP)
	 * i.e. `nimbus --socket SOCK hook dhcp aa:bb:cc:dd:ee:ff 10.77.0.100`,
	 * which POSTs {"event":"dhcp","mac":..,"ip":..} to /v1/events. */
	char dhcp_hook[PROV_PATH_MAX];       /* absolute path of build/bin/nimbus */
	char admin_socket[PROV_PATH_MAX];    /* nimbusd's admin Unix socket */

	/* Boot loaders, relative to the TFTP root. bios_loader defaults to
	 * "pxelinux.0" when empty. uefi_loader (e.g. "efi64/syslinux.efi") is
	 * offered to option-93 arch 7/9 clients only if that file exists. */
	char bios_loader[PROV_PATH_MAX];
	char uefi_loader[PROV_PATH_MAX];

	/* The discovery image booted by unknown MACs (pxelinux.cfg/default).
	 * Paths relative to the TFTP root; an absolute path inside tftp_root is
	 * accepted too and made relative. Its name is ignored. */
	struct prov_image discovery;
};

/* Checks every field (addresses inside the subnet, pool inside the subnet,
 * paths, key). nimbusd -t can call it. */
int prov_config_validate(const struct prov_config *cfg);
/* Checks a node against the config: DNS-label name, unicast MAC, IP inside
 * the subnet and not the config node's, outside the pool, image paths and
 * command line. */
int prov_node_validate(const struct prov_config *cfg, const struct prov_node *node);

#define PROV_DHCPD_CHECK_TIMEOUT_MS 20000

/* The files of a whole node list, generated (and so validated) in memory,
 * with the candidate dhcpd.conf written to DHCPD_CONF.tmp.PID; nothing
 * installed yet. cfg and nodes must outlive it. Duplicate names, MACs or
 * IPs in nodes are refused (-EEXIST). The steps of a provisioning
 * transaction (prov_queue.c) use these one by one; provision_write_files()
 * runs them all in place. */
struct prov_files;
int provision_files_new(const struct prov_config *cfg, const struct prov_node *nodes,
			size_t n, struct prov_files **out);
/* `DHCPD_BIN -t -cf CANDIDATE`, for prov_run() or prov_child_start(). */
const char *const *provision_files_check_argv(const struct prov_files *pf);
/* What that run means: run_rc (prov_run's), then dhcpd's exit status and
 * output. 0, -EINVAL (dhcpd refused the file: its errors are logged), or
 * run_rc. */
int provision_files_verdict(const struct prov_files *pf, int run_rc, const char *out,
			    int status);
/* Installs: the candidate rename()d over dhcpd.conf, then
 * TFTP_ROOT/pxelinux.cfg/01-<mac> for each node and pxelinux.cfg/default,
 * each atomically, then removes pxelinux.cfg/01-* files of MACs no longer
 * in the list. A failure leaves what was installed so far. */
int provision_files_install(struct prov_files *pf);
/* Frees pf and removes a candidate that was not installed. */
void provision_files_free(struct prov_files *pf);

/* Regenerates everything from the full node list, in place: the above with
 * `dhcpd -t` in between; a file that fails the check is removed and never
 * installed (returns -EINVAL). Blocks up to PROV_DHCPD_CHECK_TIMEOUT_MS:
 * for start-up and callers outside nimbusd's event loop. */
int provision_write_files(const struct prov_config *cfg,
			  const struct prov_node *nodes, size_t n);

/* Host objects in the running dhcpd (127.0.0.1:omapi_port, signed with the
 * key) are added and removed by the steps of a provisioning transaction
 * (prov_txn.h, prov_steps.c) through omshell: see dhcp_omapi.h. */

/* pxelinux's per-node file name for a MAC: "01-aa-bb-cc-dd-ee-ff". */
void provision_pxe_name(const uint8_t mac[MAC_LEN], char out[PROV_PXE_NAME_LEN]);
/* The reverse, for inotify events on pxelinux.cfg/: 0, or -EINVAL when
 * name is not such a file name (e.g. "default"). */
int provision_pxe_name_parse(const char *name, uint8_t mac[MAC_LEN]);

#endif
