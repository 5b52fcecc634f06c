/* The real steps of a provisioning transaction (prov_queue.h): dhcpd -t and
 * omshell as children of the event loop, files installed in place (a few
 * renames: they do not wait on another program). */
#include <errno.h>
#include <stdlib.h>

#include "dhcp_omapi.h"
#include "log.h"
#include "prov_queue.h"

static void around(void *arg, bool before)
{
	struct prov_steps_ctx *c = arg;

	if (c && c->around_write)
		c->around_write(c->around_arg, before);
}

static int install(void *arg, struct prov_files *pf)
{
	int rc;

	around(arg, true);
	rc = provision_files_install(pf);
	around(arg, false);
	return rc;
}

/* The undo of INSTALL_NEW: the files of the node list as it was, without
 * `dhcpd -t`: dhcpd.conf is the text that was installed (and checked)
 * before. */
static int install_old(void *arg, struct prov_job *job)
{
	struct prov_files *pf;
	int rc = provision_files_new(&job->cfg, job->old_list, job->n_old, &pf);

	if (rc < 0)
		return rc;
	rc = install(arg, pf);
	provision_files_free(pf);
	return rc;
}

static int start(void *arg, struct prov_job *job, const struct prov_action *a,
		 struct prov_child **child)
{
	const char *const omshell[] = { OMAPI_OMSHELL, NULL };
	enum omapi_op op = a->op == PROV_OP_OMAPI_ADD ? OMAPI_CREATE : OMAPI_REMOVE;
	char *script = NULL;
	int rc;

	switch (a->op) {
	case PROV_OP_CHECK:
		rc = provision_files_new(&job->cfg, job->new_list, job->n_new, &job->files);
		if (rc < 0)
			return rc;
		rc = prov_child_start(child, provision_files_check_argv(job->files), NULL,
				      PROV_DHCPD_CHECK_TIMEOUT_MS);
		return rc < 0 ? rc : PROV_PENDING;
	case PROV_OP_OMAPI_ADD:
	case PROV_OP_OMAPI_REMOVE:
		rc = provision_omapi_script(&job->cfg, a->node, op, &script);
		if (rc == 0)
			rc = prov_child_start(child, omshell, script, OMAPI_TIMEOUT_MS);
		free(script);
		return rc < 0 ? rc : PROV_PENDING;
	case PROV_OP_INSTALL_NEW:
		return job->files ? install(arg, job->files) : -EINVAL;
	case PROV_OP_INSTALL_OLD:
		return install_old(arg, job);
	default:
		return -EINVAL;
	}
}

static int finish(void *arg, struct prov_job *job, const struct prov_action *a, int run_rc,
		  const char *out, int status)
{
	(void)arg;
	switch (a->op) {
	case PROV_OP_CHECK:
		return provision_files_verdict(job->files, run_rc, out, status);
	case PROV_OP_OMAPI_ADD:
		return provision_omapi_verdict(&job->cfg, a->node, OMAPI_CREATE, run_rc, out);
	case PROV_OP_OMAPI_REMOVE:
		return provision_omapi_verdict(&job->cfg, a->node, OMAPI_REMOVE, run_rc, out);
	default:
		return -EINVAL;
	}
}

const struct prov_step_ops prov_steps_real = { .start = start, .finish = finish };
