/* The node's libvirt TLS certificate, as nimbus-hostd gets it from nimbusd
 * (hostd_loop.c has the flow, docs/host-agent.md the message): an EC P-256
 * key made here, a CSR for it, and, once nimbusd's CA signed it, the files
 * libvirtd and its migration client read (nimbus-libvirtd-start):
 *
 *   PKI/CA/cacert.pem                     the CA's certificate     0644
 *   PKI/libvirt/servercert.pem            the node's certificate   0644
 *   PKI/libvirt/clientcert.pem            the same                 0644
 *   PKI/libvirt/private/serverkey.pem     the node's key           0600
 *   PKI/libvirt/private/clientkey.pem     the same                 0600
 *
 * (PKI is /etc/pki, libvirt's own default; directories 0755, private/
 * 0700). OpenSSL 3's libcrypto, in-process: a key and a CSR take about a
 * millisecond. Everything here but host_cert_needed and host_cert_install
 * is pure; tests/unit/test_host_cert.c. */
#ifndef NIMBUS_HOST_CERT_H
#define NIMBUS_HOST_CERT_H

#include <stdint.h>

#include "agent/host_msg.h"

#define HOST_CERT_ERR_MAX   256
#define HOST_CERT_RENEW_S   (7 * 24 * 3600)   /* a new one when this close to not_after */
#define HOST_CERT_PKI_DEFAULT "/etc/pki"
#define HOST_CERT_DATE_MAX  32

struct host_cert_paths {
	char ca_dir[256], libvirt_dir[256], private_dir[256];
	char ca[320], server_cert[320], client_cert[320], server_key[320], client_key[320];
};

/* The five files and their directories under pki_dir (an absolute path):
 * 0, or -ENAMETOOLONG. */
int host_cert_paths(const char *pki_dir, struct host_cert_paths *p);

/* A new EC P-256 key and a certificate request for it, subject CN=cn,
 * signed with that key; both PEM, malloc()ed (the key: free it with
 * host_cert_free_key). 0, or -EINVAL / -ENOMEM with err saying what
 * failed. */
int host_cert_make_csr(const char *cn, char **key_pem, char **csr_pem,
		       char err[HOST_CERT_ERR_MAX]);
/* Overwritten, then freed; NULL is fine. */
void host_cert_free_key(char *key_pem);

struct host_cert_info {
	int64_t not_after;                 /* unix s */
	char cn[HMSG_NAME_MAX];            /* the subject's CN ("" none, or too long) */
};

/* The first certificate in pem: its not_after and CN. 0 or -EINVAL (err). */
int host_cert_info(const char *pem, struct host_cert_info *info, char err[HOST_CERT_ERR_MAX]);

/* nimbusd's answer checked against the key the request was made with:
 * cert parses, is key_pem's public key, is signed by ca_pem's key (a CA
 * certificate), and has not expired at now. 0 with info set, or -EINVAL
 * (err says which) or -ENOMEM. */
int host_cert_check_reply(const char *ca_pem, const char *cert_pem, const char *key_pem,
			  int64_t now, struct host_cert_info *info, char err[HOST_CERT_ERR_MAX]);

/* Whether this node needs a (new) certificate: 1 with why ("no
 * certificate in ...", "... expires 2026-12-01 10:00:00 UTC, within 7
 * days", "... is not the certificate's key", "issued for hw1, the node is
 * hw2"), 0 when the files are in place and servercert.pem is good for
 * more than HOST_CERT_RENEW_S (info then set). node NULL: the CN is not
 * compared. Reads the files (the key too: root's). */
int host_cert_needed(const struct host_cert_paths *p, const char *node, int64_t now,
		     struct host_cert_info *info, char why[HOST_CERT_ERR_MAX]);

/* The five files written, each atomically (keys first, the CA last; keys
 * 0600, the rest 0644), the directories made as needed (private/ made
 * 0700, and set so if it was not). 0, or a negative errno with err
 * naming the file. */
int host_cert_install(const struct host_cert_paths *p, const char *ca_pem,
		      const char *cert_pem, const char *key_pem, char err[HOST_CERT_ERR_MAX]);

/* t as "2026-12-01 10:00:00 UTC". */
void host_cert_date(int64_t t, char out[HOST_CERT_DATE_MAX]);

#endif
