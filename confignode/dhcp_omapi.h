/* Host objects in a running isc-dhcpd through OMAPI.
 *
 * Debian 12's isc-dhcp-dev ships libdhcpctl.a/libomapi.a without the BIND
 * 9.11 export libraries they were built against (isc_app_ctx*, dns_client_*,
 * dst_*: no Debian 12 package provides them, bind9-dev is 9.18 with another
 * API) and without the <isc/boolean.h> its headers include, so dhcpctl cannot
 * be linked here. ISC's omshell (package isc-dhcp-server) is dhcpctl linked
 * statically; we drive it with a generated script on its stdin (the secret
 * never appears in argv) and parse its answers. Script generation and answer
 * parsing are pure and unit-tested; prov_run() (prov_exec.c) runs omshell. */
#ifndef NIMBUS_DHCP_OMAPI_H
#define NIMBUS_DHCP_OMAPI_H

#include "provision.h"

#define OMAPI_OMSHELL "/usr/bin/omshell"
#define OMAPI_TIMEOUT_MS 10000

enum omapi_op { OMAPI_CREATE, OMAPI_REMOVE };

/* omshell script that connects to 127.0.0.1:cfg->omapi_port with the key
 * and creates (name, MAC, fixed address) or removes (by name) node's host
 * object. *text malloc()ed. 0, -EINVAL (validation), -ENOMEM. */
int omapi_script(const struct prov_config *cfg, const struct prov_node *node,
		 enum omapi_op op, char **text);

/* omshell's output -> 0 or negative errno: -ECONNREFUSED (no server),
 * -EACCES (key refused: the server resets the connection), -EEXIST
 * ("already exists", "key conflict": another host holds the name or MAC),
 * -ENOENT ("not found"), -EIO (any other "can't ..." line, or no prompt
 * after the last command). *why (may be NULL) points at the message. */
int omapi_parse_output(const char *out, const char **why, size_t *why_len);

/* The steps of one OMAPI call around running omshell (provision.c): the
 * script for node (after checking it against cfg; -ENOTCONN when OMAPI is
 * off), and what omshell's run (run_rc from prov_run / prov_child_end, its
 * output) means: 0 or the negative errno above, logged with the node. */
int provision_omapi_script(const struct prov_config *cfg, const struct prov_node *node,
			   enum omapi_op op, char **script);
int provision_omapi_verdict(const struct prov_config *cfg, const struct prov_node *node,
			    enum omapi_op op, int run_rc, const char *out);

#endif
