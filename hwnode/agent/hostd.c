/* nimbus-hostd - the hardware node's agent in dom0: nimbusd's only
 * control path to the node's hypervisor (hostd_loop.h). It connects out
 * to nimbusd's report listener and never listens on the network.
 *
 *   nimbus-hostd run   [--server IP:PORT] [--mac MAC] [--uri URI] [--pki-dir DIR] ...
 *   nimbus-hostd probe [--mac MAC] [--uri URI]   one probe, JSON on stdout
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_cert.h"
#include "host_probe.h"
#include "hostd_loop.h"
#include "log.h"
#include "report.h"   /* env_lookup */

#define BOOT_ENV_DEFAULT "/etc/nimbus/boot.env"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: nimbus-hostd COMMAND [OPTIONS]\n"
"\n"
"The hardware node's agent in dom0: makes libvirt's domains on this node what\n"
"nimbusd wants (define, start, shut down, destroy, undefine, reboot,\n"
"live-migrate) and reports what the node has. It only connects out, to nimbusd's\n"
"report "
"listener: GET /v1/host/desired/MAC/GEN (a long-poll, asked again at once\n"
"after each answer, 2 s after a failure), POST /v1/host/observed (after every\n"
"change, every action and every probe interval) and POST /v1/host/certificate\n"
"(below). Nothing listens on the network. A domain nimbusd does not name is\n"
"reported and never touched.\n"
"\n"
"Commands:\n"
"  run     the agent, until SIGTERM or SIGINT\n"
"  probe   probe the node once (libvirt, Xen, instbr0, AoE devices) and print\n"
"          the observed state as JSON; talks to no nimbusd, changes nothing\n"
"\n"
"Options:\n"
"  -s, --server IP:PORT     nimbusd's report listener (default: NIMBUS_REPORT\n"
"                           from the boot environment file)\n"
"  -e, --boot-env FILE      boot facts written by the initramfs (default:\n"
"                           " BOOT_ENV_DEFAULT "): NIMBUS_REPORT,\n"
"                           NIMBUS_BOOT_NIC, NIMBUS_NODE (the name reported\n"
"                           until nimbusd's desired state names the node)\n"
"  -m, --mac MAC            the node's identity (default: the MAC of\n"
"                           NIMBUS_BOOT_NIC, from /sys/class/net/NIC/address)\n"
"  -u, --uri URI            libvirt's URI for every virsh (default " HOSTD_URI_DEFAULT ")\n"
"  -d, --state-dir DIR      what the agent remembers (default " HOSTD_STATE_DIR_DEFAULT "):\n"
"                           NAME.xml, the domain XML last defined (virsh define\n"
"                           reads it), NAME.state (reboots done, migrations run)\n"
"  -i, --probe-interval S   probe libvirt, xl and sysfs every S seconds, 1..3600\n"
"                           (default 10; every 2 s while a step is under way)\n"
"  -p, --pki-dir DIR        libvirt's TLS files, for live migration (default\n"
"                           " HOST_CERT_PKI_DEFAULT ", where libvirtd and nimbus-libvirtd-start\n"
"                           look): DIR/CA/cacert.pem, DIR/libvirt/servercert.pem\n"
"                           and clientcert.pem (0644), DIR/libvirt/private/\n"
"                           serverkey.pem and clientkey.pem (0600, private/ 0700)\n"
"  -v, --verbose            debug logging\n"
"  -h, --help               this text\n"
"\n"
"Commands run (URI from --uri; one at a time, each with a deadline, except\n"
"a migration, which runs beside them):\n"
"  probe:     virsh -c URI 'list --all; echo " HOST_VIRSH_MARK ";\n"
"                          list --all --persistent --name'   (one process)\n"
"             xl list (while a domain runs), xl info (at start, after a start or\n"
"             stop, every 60 s)\n"
"  steps:     virsh -c URI define DIR/NAME.xml.new | start | shutdown | destroy |\n"
"             undefine | reboot NAME\n"
"  migration: virsh -c URI migrate --live --p2p --persistent --undefinesource\n"
"             NAME xen+tls://ADDR/system tcp://ADDR   (600 s)\n"
"  libvirtd:  systemctl restart nimbus-libvirtd.service   (90 s), after a new\n"
"             certificate (below); one that replaces a good one waits for the\n"
"             live migrations under way (this node's, instances incoming)\n"
"\n"
"The libvirt certificate: at start, and with nimbusd's desired state answers\n"
"(at most every 30 s), the agent looks at DIR/libvirt/servercert.pem. When it\n"
"is missing, unreadable, not the key's, for another node name, or expires\n"
"within 7 days (or a file of the five is missing), the agent makes an EC P-256\n"
"key and a request (CN=node name) in-process and POSTs them to nimbusd; the\n"
"key never leaves the node. nimbusd's CA signs it for the node's name and\n"
"management address. The answer is checked (the key's certificate, signed by\n"
"the CA sent with it, not expired), the five files are written atomically and\n"
"libvirtd is restarted so that it listens for TLS. A failure is logged once\n"
"and tried again the same way; the agent goes on with the domains meanwhile.\n"
"\n"
"Exit status: 0 after a signal (run) or a printed probe, 1 when the agent\n"
"cannot start, 2 on bad usage or missing settings.\n");
}

/* The boot environment file, NUL-terminated (malloc()ed), or NULL. */
static char *read_env(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(65537);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, 65536, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int nic_mac(const char *nic, uint8_t mac[MAC_LEN])
{
	char path[256], line[64];
	FILE *f;

	if (!nic[0] || strchr(nic, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", nic);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return mac_parse(line, mac);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "boot-env", required_argument, NULL, 'e' },
		{ "mac", required_argument, NULL, 'm' },
		{ "uri", required_argument, NULL, 'u' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "probe-interval", required_argument, NULL, 'i' },
		{ "pki-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hostd_opts o = { .uri = HOSTD_URI_DEFAULT, .state_dir = HOSTD_STATE_DIR_DEFAULT,
				.probe_interval_s = 10, .pki_dir = HOST_CERT_PKI_DEFAULT };
	const char *server = NULL, *boot_env = BOOT_ENV_DEFAULT, *cmd;
	bool have_mac = false, boot_env_given = false;
	char val[128], *env, *end;
	unsigned long v;
	int c, rc;

	log_init("nimbus-hostd", LOG_LVL_INFO, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "s:e:m:u:d:i:p:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'e': boot_env = optarg; boot_env_given = true; break;
		case 'm':
			if (mac_parse(optarg, o.mac) < 0 || !mac_is_unicast(o.mac)) {
				fprintf(stderr, "nimbus-hostd: bad --mac '%s' (want a unicast MAC, aa:bb:cc:dd:ee:ff)\n",
					optarg);
				return 2;
			}
			have_mac = true;
			break;
		case 'u':
			if (!optarg[0] || strlen(optarg) > 200) {
				fprintf(stderr, "nimbus-hostd: bad --uri '%s'\n", optarg);
				return 2;
			}
			o.uri = optarg;
			break;
		case 'd':
			if (optarg[0] != '/' || strlen(optarg) > 200) {
				fprintf(stderr, "nimbus-hostd: bad --state-dir '%s' (want an absolute path, at most 200 bytes)\n",
					optarg);
				return 2;
			}
			o.state_dir = optarg;
			break;
		case 'i':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 3600) {
				fprintf(stderr, "nimbus-hostd: bad --probe-interval '%s' (want 1..3600 seconds)\n",
					optarg);
				return 2;
			}
			o.probe_interval_s = (unsigned)v;
			break;
		case 'p':
			if (optarg[0] != '/' || strlen(optarg) > 200) {
				fprintf(stderr, "nimbus-hostd: bad --pki-dir '%s' (want an absolute path, at most 200 bytes)\n",
					optarg);
				return 2;
			}
			o.pki_dir = optarg;
			break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nimbus-hostd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (strcmp(cmd, "run") == 0) {
		o.once = false;
	} else if (strcmp(cmd, "probe") == 0) {
		o.once = true;
	} else {
		fprintf(stderr, "nimbus-hostd: unknown command '%s' (run, probe; --help)\n", cmd);
		return 2;
	}

	env = read_env(boot_env);
	if (!env && (boot_env_given || (!server && !o.once) || !have_mac))
		log_warn("boot environment %s: %m", boot_env);
	if (env && env_lookup(env, "NIMBUS_NODE", val, sizeof(val)) == 0 && val[0]) {
		if (smsg_name_ok(val))
			snprintf(o.node, sizeof(o.node), "%.63s", val);
		else
			log_warn("boot environment: NIMBUS_NODE '%.60s' is not a node name: ignored", val);
	}
	if (!server && env && env_lookup(env, "NIMBUS_REPORT", val, sizeof(val)) == 0 && val[0])
		server = val;
	if (server && host_parse_server(server, &o.server_ip, &o.server_port) < 0) {
		fprintf(stderr, "nimbus-hostd: bad server address '%s' (want IP:PORT)\n", server);
		free(env);
		return 2;
	}
	if (!server && !o.once) {
		fprintf(stderr, "nimbus-hostd: no nimbusd address: give --server IP:PORT, or NIMBUS_REPORT in %s (nimbus.report= on the kernel command line)\n",
			boot_env);
		free(env);
		return 2;
	}
	if (!have_mac) {
		char nic[64] = "";

		if (env)
			env_lookup(env, "NIMBUS_BOOT_NIC", nic, sizeof(nic));
		rc = nic[0] ? nic_mac(nic, o.mac) : -ENOENT;
		if (!nic[0]) {
			fprintf(stderr, "nimbus-hostd: no MAC: give --mac MAC, or NIMBUS_BOOT_NIC in %s\n",
				boot_env);
			free(env);
			return 2;
		}
		if (rc < 0 || !mac_is_unicast(o.mac)) {
			fprintf(stderr, "nimbus-hostd: no MAC: the boot NIC %s's /sys/class/net/%s/address: %s; give --mac MAC\n",
				nic, nic, rc < 0 ? strerror(-rc) : "not a unicast MAC");
			free(env);
			return 2;
		}
	}
	free(env);
	rc = hostd_run(&o);
	return rc < 0 ? 1 : 0;
}
