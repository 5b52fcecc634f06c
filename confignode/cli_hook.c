/* nimbus hook dhcp MAC IP: run by dhcpd's `on commit` (execute()) to tell
 * nimbusd that it answered a machine. Quiet: dhcpd logs our output. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int hook_dhcp(struct cli *cli, int argc, char **argv)
{
	json_t *body, *reply;
	const char *pos[2];
	int rc;

	if (cli_opts(cli, "hook dhcp", argc, argv, NULL, 0, NULL, pos, 2, 2, NULL))
		return 2;
	body = json_pack("{s:s, s:s?, s:s?}", "event", "dhcp", "mac", pos[0], "ip", pos[1]);
	rc = cli_call(cli, "POST", "/v1/events", body, &reply);
	json_decref(body);
	cli->json = false;
	return cli_result(cli, rc, reply, NULL);
}

static const struct cli_cmd hook_cmds[] = {
	{ "dhcp", hook_dhcp, "MAC IP",
	  "Record that dhcpd answered MAC with IP (dhcpd.conf's on-commit hook).",
	  "dhcpd runs this through execute() in the generated dhcpd.conf (the\n"
	  "dhcp-hook key of nimbusd.conf); it posts {\"event\":\"dhcp\"} to /v1/events.\n"
	  "A MAC that is no node is accepted and ignored.\n" },
};

int cli_hook(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "hook", hook_cmds, sizeof(hook_cmds) / sizeof(hook_cmds[0]),
			    argc, argv);
}
