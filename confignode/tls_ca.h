/* nimbusd's certificate authority for the hardware nodes' libvirt TLS:
 * live migration goes libvirtd to libvirtd with client certificates, and
 * every dom0 gets its certificate from nimbusd (POST /v1/host/certificate)
 * for the name and management address nimbusd's database has for it - the
 * CSR only contributes its public key. The key pair is made in dom0 and
 * never leaves it. OpenSSL's libcrypto; signing takes milliseconds, so it
 * runs inside nimbusd's loop. */
#ifndef NIMBUS_TLS_CA_H
#define NIMBUS_TLS_CA_H

#include <stddef.h>
#include <stdint.h>

#define TLS_CA_ERR_MAX 256
#define TLS_CA_CERT_DAYS 365

struct tls_ca;

/* DIR/ca.pem and DIR/ca.key (0600), made (EC P-256, self-signed, 10
 * years) when both are absent; DIR is made 0700. 0, or a negative errno
 * with err saying what failed (one of the two files alone is refused:
 * nimbusd does not replace half a CA). */
int tls_ca_open(const char *dir, const char *name, int64_t now, struct tls_ca **out,
		char err[TLS_CA_ERR_MAX]);
void tls_ca_close(struct tls_ca *ca);

/* The CA's certificate, PEM (owned by ca). */
const char *tls_ca_pem(const struct tls_ca *ca);

/* A certificate for csr_pem's key: subject CN=cn, subjectAltName IP:ip (host
 * order) and DNS:cn, serverAuth and clientAuth, valid from an hour before
 * now for days. *cert malloc()ed. 0, or -EINVAL (a CSR that does not parse
 * or whose signature does not verify: err says) or -ENOMEM. */
int tls_ca_sign(const struct tls_ca *ca, const char *csr_pem, const char *cn, uint32_t ip,
		int days, int64_t now, char **cert, int64_t *not_after, char err[TLS_CA_ERR_MAX]);

#endif
