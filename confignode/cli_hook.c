/* nimbus hook dhcp MAC IP: run by dhcpd's `on commit` (execute()) to tell
 * nimbusd that it answered a machine. Quiet: dhcpd logs our output. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int hook_dhcp(struct cli *cli, int argc, char **argv)
{
	json_t *body, *reply;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "nimbus: hook dhcp: want MAC IP\n");
		return 2;
	}
	body = json_pack("{s:s, s:s?, s:s?}", "event", "dhcp", "mac", argv[1], "ip", argv[2]);
	rc = cli_call(cli, "POST", "/v1/events", body, &reply);
	json_decref(body);
	cli->json = false;
	return cli_result(cli, rc, reply, NULL);
}

static const struct cli_cmd hook_cmds[] = {
	{ "dhcp", hook_dhcp, "MAC IP",
	  "Record that dhcpd answered MAC with IP (dhcpd.conf's on-commit hook)." },
};

int cli_hook(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "hook", hook_cmds, sizeof(hook_cmds) / sizeof(hook_cmds[0]),
			    argc, argv);
}
