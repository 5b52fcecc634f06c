/* Provisioning: installs what gen_dhcp/gen_pxe generate and talks OMAPI.
 * Everything is generated and checked in memory first; only then are files
 * replaced, each by rename() so dhcpd, in.tftpd and pxelinux never see half
 * a file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcp_omapi.h"
#include "gen_dhcp.h"
#include "gen_pxe.h"
#include "log.h"
#include "prov_exec.h"
#include "prov_validate.h"
#include "provision.h"
#include "validate.h"

#define PXE_DIR "pxelinux.cfg"

void provision_pxe_name(const uint8_t mac[MAC_LEN], char out[PROV_PXE_NAME_LEN])
{
	snprintf(out, PROV_PXE_NAME_LEN, "01-%02x-%02x-%02x-%02x-%02x-%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int provision_pxe_name_parse(const char *name, uint8_t mac[MAC_LEN])
{
	/* pxelinux asks for lower-case names; anything else is not ours */
	for (int i = 0; i < PROV_PXE_NAME_LEN - 1; i++) {
		char c = name[i];

		if (i % 3 == 2 ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
	}
	if (name[PROV_PXE_NAME_LEN - 1] != '\0' || name[0] != '0' || name[1] != '1')
		return -EINVAL;
	return mac_parse(name + 3, mac);
}

/* Writes text to DIR/.NAME.tmp and renames it over DIR/NAME, unless the
 * file already holds exactly text (no needless inotify events, no window). */
static int install_file(const char *path, const char *text, mode_t mode)
{
	size_t len = strlen(text);
	char *tmp = NULL, *old = NULL;
	const char *base = strrchr(path, '/');
	int fd = -1, rc = 0;
	FILE *f;

	f = fopen(path, "re");
	if (f) {
		old = malloc(len + 2);
		if (old && fread(old, 1, len + 1, f) == len && memcmp(old, text, len) == 0) {
			fclose(f);
			free(old);
			return 0;
		}
		fclose(f);
		free(old);
	}
	base = base ? base + 1 : path;
	if (asprintf(&tmp, "%.*s.%s.tmp", (int)(base - path), path, base) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		log_err("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0) {
			rc = -errno;
			log_err("cannot write %s: %s", tmp, strerror(errno));
			goto out_unlink;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = -errno;
		log_err("cannot finish %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		log_err("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out_unlink;
	}
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

/* dhcpd -t's verdict lines ("FILE line N: what"), without its banner and
 * bug-report boilerplate, each as one log line. */
static void log_dhcpd_errors(const char *out)
{
	const char *line = out;
	int shown = 0;

	while (*line && shown < 8) {
		const char *end = strchrnul(line, '\n');

		if (memmem(line, (size_t)(end - line), " line ", 6)) {
			log_err("dhcpd -t: %.*s", (int)(end - line), line);
			shown++;
		}
		line = *end ? end + 1 : end;
	}
	log_debug("dhcpd -t said: %s", out);
}

struct prov_files {
	const struct prov_config *cfg;
	const struct prov_node *nodes;
	size_t n;
	char *conf, *dflt, **pxe;
	char *candidate;        /* DHCPD_CONF.tmp.PID, until installed */
	const char *argv[5];    /* dhcpd -t -cf CANDIDATE */
};

/* Writes the candidate dhcpd.conf next to the real one. */
static int write_candidate(struct prov_files *pf)
{
	FILE *f;
	int rc = 0;

	f = fopen(pf->candidate, "we");
	if (!f) {
		rc = -errno;
		log_err("dhcpd.conf: cannot create %s: %s", pf->candidate, strerror(errno));
		return rc;
	}
	if (fputs(pf->conf, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0) {
		rc = -errno;
		fclose(f);
		log_err("dhcpd.conf: cannot write %s: %s", pf->candidate, strerror(-rc));
		return rc;
	}
	if (fclose(f) != 0)
		rc = -errno;
	return rc;
}

const char *const *provision_files_check_argv(const struct prov_files *pf)
{
	return pf->argv;
}

/* `dhcpd -t -cf FILE` (not -q: that silences the errors too). */
int provision_files_verdict(const struct prov_files *pf, int run_rc, const char *out,
			    int status)
{
	const struct prov_config *cfg = pf->cfg;

	if (run_rc < 0) {
		log_err("dhcpd.conf: cannot run %s -t: %s", cfg->dhcpd_bin, strerror(-run_rc));
		return run_rc;
	}
	if (status != 0) {
		log_dhcpd_errors(out);
		log_err("dhcpd.conf: %s -t refused the generated file (exit %d); "
			"%s stays as it was", cfg->dhcpd_bin, status, cfg->dhcpd_conf);
		return -EINVAL;
	}
	return 0;
}

static bool file_exists(const char *root, const char *rel)
{
	char path[2 * PROV_PATH_MAX + 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Removes 01-<mac> files of MACs not in nodes[], and temporary files a
 * crash may have left. */
static int remove_stale(const char *dir, const struct prov_node *nodes, size_t n)
{
	uint8_t mac[MAC_LEN];
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d) {
		log_err("cannot read %s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		bool keep = false, ours = false;
		size_t len = strlen(de->d_name);

		/* only files are ours: nimbusd never makes a directory here */
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;

		if (provision_pxe_name_parse(de->d_name, mac) == 0) {
			ours = true;
			for (size_t i = 0; i < n && !keep; i++)
				keep = memcmp(nodes[i].mac, mac, MAC_LEN) == 0;
		} else if (de->d_name[0] == '.' && len > 4 &&
			   strcmp(de->d_name + len - 4, ".tmp") == 0) {
			ours = true;
		}
		if (ours && !keep) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
				log_err("cannot remove %s/%s: %s", dir, de->d_name,
					strerror(errno));
				rc = -errno;
			} else {
				log_info("removed %s/%s", dir, de->d_name);
			}
		}
	}
	closedir(d);
	return rc;
}

void provision_files_free(struct prov_files *pf)
{
	if (!pf)
		return;
	if (pf->candidate)
		unlink(pf->candidate);
	for (size_t i = 0; pf->pxe && i < pf->n; i++)
		free(pf->pxe[i]);
	free(pf->pxe);
	free(pf->dflt);
	free(pf->conf);
	free(pf->candidate);
	free(pf);
}

int provision_files_new(const struct prov_config *cfg, const struct prov_node *nodes,
			size_t n, struct prov_files **out)
{
	struct prov_files *pf;
	bool uefi;
	int rc;

	*out = NULL;
	rc = prov_config_validate(cfg);
	if (rc < 0)
		return rc;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->cfg = cfg;
	pf->nodes = nodes;
	pf->n = n;
	uefi = cfg->uefi_loader[0] && file_exists(cfg->tftp_root, cfg->uefi_loader);
	/* everything generated (and so validated) before anything is touched */
	rc = gen_dhcpd_conf(cfg, nodes, n, uefi, &pf->conf);
	if (rc < 0)
		goto fail;
	rc = gen_pxe_default(cfg, &pf->dflt);
	if (rc < 0)
		goto fail;
	pf->pxe = calloc(n ? n : 1, sizeof(*pf->pxe));
	if (!pf->pxe) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		rc = gen_pxe_node(cfg, &nodes[i], &pf->pxe[i]);
		if (rc < 0)
			goto fail;
	}
	if (asprintf(&pf->candidate, "%s.tmp.%ld", cfg->dhcpd_conf, (long)getpid()) < 0) {
		pf->candidate = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	rc = write_candidate(pf);
	if (rc < 0)
		goto fail;
	pf->argv[0] = cfg->dhcpd_bin;
	pf->argv[1] = "-t";
	pf->argv[2] = "-cf";
	pf->argv[3] = pf->candidate;
	*out = pf;
	return 0;
fail:
	provision_files_free(pf);
	return rc;
}

int provision_files_install(struct prov_files *pf)
{
	const struct prov_config *cfg = pf->cfg;
	char dir[PROV_PATH_MAX + sizeof(PXE_DIR) + 1];
	char path[sizeof(dir) + PROV_PXE_NAME_LEN + 1];
	char name[PROV_PXE_NAME_LEN];
	int rc;

	if (rename(pf->candidate, cfg->dhcpd_conf) < 0) {
		rc = -errno;
		log_err("dhcpd.conf: cannot rename %s to %s: %s", pf->candidate,
			cfg->dhcpd_conf, strerror(errno));
		return rc;
	}
	free(pf->candidate);
	pf->candidate = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", cfg->tftp_root, PXE_DIR);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		log_err("cannot create %s: %s", dir, strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < pf->n; i++) {
		provision_pxe_name(pf->nodes[i].mac, name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		rc = install_file(path, pf->pxe[i], 0644);
		if (rc < 0) {
			log_err("node %s: pxelinux file not installed", pf->nodes[i].name);
			return rc;
		}
	}
	snprintf(path, sizeof(path), "%s/default", dir);
	rc = install_file(path, pf->dflt, 0644);
	if (rc < 0)
		return rc;
	rc = remove_stale(dir, pf->nodes, pf->n);
	if (rc == 0)
		log_info("provisioning files written: %s and %s (%zu nodes)",
			 cfg->dhcpd_conf, dir, pf->n);
	return rc;
}

int provision_write_files(const struct prov_config *cfg,
			  const struct prov_node *nodes, size_t n)
{
	struct prov_files *pf;
	char *out = NULL;
	int rc, status = -1;

	rc = provision_files_new(cfg, nodes, n, &pf);
	if (rc < 0)
		return rc;
	rc = prov_run(pf->argv, NULL, PROV_DHCPD_CHECK_TIMEOUT_MS, &out, &status);
	rc = provision_files_verdict(pf, rc, out, status);
	free(out);
	if (rc == 0)
		rc = provision_files_install(pf);
	provision_files_free(pf);
	return rc;
}

int provision_omapi_script(const struct prov_config *cfg, const struct prov_node *node,
			   enum omapi_op op, char **script)
{
	const char *what = op == OMAPI_CREATE ? "add" : "remove";
	int rc;

	*script = NULL;
	if (!cfg->omapi_port) {
		log_err("node %s: OMAPI %s: no omapi-port configured", node->name, what);
		return -ENOTCONN;
	}
	rc = op == OMAPI_CREATE ? prov_node_validate(cfg, node) :
	     validate_node_name(node->name) < 0 ? -EINVAL : 0;
	if (rc == 0)
		rc = omapi_script(cfg, node, op, script);
	if (rc < 0)
		log_err("node %s: OMAPI %s: invalid node or key", node->name, what);
	return rc;
}

int provision_omapi_verdict(const struct prov_config *cfg, const struct prov_node *node,
			    enum omapi_op op, int run_rc, const char *out)
{
	const char *what = op == OMAPI_CREATE ? "add" : "remove";
	char m[MAC_STR_LEN], a[16];
	const char *why = NULL;
	size_t why_len = 0;
	int rc;

	if (run_rc < 0) {
		log_err("node %s: OMAPI %s: running %s: %s", node->name, what,
			OMAPI_OMSHELL, strerror(-run_rc));
		return run_rc;
	}
	rc = omapi_parse_output(out, &why, &why_len);
	if (rc < 0 && !(op == OMAPI_REMOVE && rc == -ENOENT))
		log_err("node %s: OMAPI %s on 127.0.0.1:%u: %.*s", node->name, what,
			(unsigned)cfg->omapi_port, why ? (int)why_len : 24,
			why ? why : "no answer from omshell");
	if (rc == 0 && op == OMAPI_CREATE) {
		mac_format(node->mac, m);
		ipv4_format(node->ip, a);
		log_info("node %s: dhcpd host %s -> %s added through OMAPI", node->name, m, a);
	} else if (rc == 0) {
		log_info("node %s: dhcpd host removed through OMAPI", node->name);
	}
	return rc;
}
