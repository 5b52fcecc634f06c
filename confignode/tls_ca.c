/* nimbusd's certificate authority (tls_ca.h), on OpenSSL 3's libcrypto. */
#include "tls_ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct tls_ca {
	EVP_PKEY *key;
	X509 *cert;
	char *pem;
};

static void say(char err[TLS_CA_ERR_MAX], const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, TLS_CA_ERR_MAX, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && PEM_write_bio_X509(b, x) == 1) {
		n = BIO_get_mem_data(b, &data);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

/* A random positive 127-bit serial. */
static int set_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f;
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!e)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static int set_times(X509 *x, int64_t now, int64_t from_off, int64_t secs)
{
	return ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now + from_off)) &&
	       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + secs));
}

static int make_ca(const char *dir, const char *name, int64_t now, struct tls_ca *ca,
		   char err[TLS_CA_ERR_MAX])
{
	char kpath[4200], cpath[4200], cn[128];
	X509_NAME *n;
	FILE *f;
	int fd;

	ca->key = EVP_EC_gen("P-256");
	ca->cert = X509_new();
	if (!ca->key || !ca->cert) {
		say(err, "cannot make the CA's key");
		return -ENOMEM;
	}
	snprintf(cn, sizeof(cn), "nimbus CA %s", name);
	n = X509_get_subject_name(ca->cert);
	if (!X509_set_version(ca->cert, 2) || !set_serial(ca->cert) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"nimbus", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(ca->cert, n) || !X509_set_pubkey(ca->cert, ca->key) ||
	    !set_times(ca->cert, now, -3600, 10LL * 366 * 86400) ||
	    !add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash") ||
	    !X509_sign(ca->cert, ca->key, EVP_sha256())) {
		say(err, "cannot make the CA's certificate");
		return -EIO;
	}
	snprintf(kpath, sizeof(kpath), "%s/ca.key", dir);
	snprintf(cpath, sizeof(cpath), "%s/ca.pem", dir);
	fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || PEM_write_PrivateKey(f, ca->key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(f) || fsync(fileno(f))) {
		snprintf(err, TLS_CA_ERR_MAX, "cannot write %.150s: %s", kpath, strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		unlink(kpath);
		return -EIO;
	}
	fclose(f);
	f = fopen(cpath, "wx");
	if (!f || PEM_write_X509(f, ca->cert) != 1 || fflush(f) || fsync(fileno(f))) {
		snprintf(err, TLS_CA_ERR_MAX, "cannot write %.150s: %s", cpath, strerror(errno));
		if (f)
			fclose(f);
		unlink(cpath);
		unlink(kpath);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static int load_ca(const char *kpath, const char *cpath, struct tls_ca *ca,
		   char err[TLS_CA_ERR_MAX])
{
	FILE *f = fopen(kpath, "r");

	if (f) {
		ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	f = fopen(cpath, "r");
	if (f) {
		ca->cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!ca->key || !ca->cert) {
		say(err, ca->key ? "cannot read the CA's certificate" : "cannot read the CA's key");
		return -EINVAL;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(err, TLS_CA_ERR_MAX, "%.100s does not belong to %.100s", kpath, cpath);
		return -EINVAL;
	}
	return 0;
}

int tls_ca_open(const char *dir, const char *name, int64_t now, struct tls_ca **out,
		char err[TLS_CA_ERR_MAX])
{
	struct tls_ca *ca = calloc(1, sizeof(*ca));
	char kpath[4200], cpath[4200];
	bool have_k, have_c;
	int rc;

	err[0] = '\0';
	if (!ca)
		return -ENOMEM;
	snprintf(kpath, sizeof(kpath), "%s/ca.key", dir);
	snprintf(cpath, sizeof(cpath), "%s/ca.pem", dir);
	have_k = access(kpath, F_OK) == 0;
	have_c = access(cpath, F_OK) == 0;
	if (have_k != have_c) {
		snprintf(err, TLS_CA_ERR_MAX, "%.80s exists but %.80s does not: half a CA (restore the"
			 " other file, or remove both to make a new CA)", have_k ? kpath : cpath,
			 have_k ? cpath : kpath);
		rc = -EINVAL;
	} else if (!have_k) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, TLS_CA_ERR_MAX, "cannot make %.150s: %s", dir, strerror(errno));
			rc = -errno;
		} else {
			rc = make_ca(dir, name, now, ca, err);
		}
	} else {
		rc = load_ca(kpath, cpath, ca, err);
	}
	if (rc == 0) {
		ca->pem = pem_of(ca->cert);
		if (!ca->pem)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		tls_ca_close(ca);
		return rc;
	}
	*out = ca;
	return 0;
}

void tls_ca_close(struct tls_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->pem);
	free(ca);
}

const char *tls_ca_pem(const struct tls_ca *ca)
{
	return ca->pem;
}

int tls_ca_sign(const struct tls_ca *ca, const char *csr_pem, const char *cn, uint32_t ip,
		int days, int64_t now, char **cert, int64_t *not_after, char err[TLS_CA_ERR_MAX])
{
	BIO *b = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pub = req ? X509_REQ_get0_pubkey(req) : NULL;
	X509 *x = NULL;
	X509_NAME *n;
	struct in_addr a = { htonl(ip) };
	char san[160], addr[16];
	int rc = -EINVAL;

	err[0] = '\0';
	*cert = NULL;
	if (!req || !pub) {
		say(err, "the CSR does not parse");
		goto out;
	}
	if (X509_REQ_verify(req, pub) != 1) {
		say(err, "the CSR's signature does not verify");
		goto out;
	}
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	snprintf(san, sizeof(san), "IP:%s,DNS:%s", addr, cn);
	x = X509_new();
	n = x ? X509_get_subject_name(x) : NULL;
	if (!x || !X509_set_version(x, 2) || !set_serial(x) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"nimbus", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) || !X509_set_pubkey(x, pub) ||
	    !set_times(x, now, -3600, (int64_t)days * 86400) ||
	    !add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
	    !add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !add_ext(x, ca->cert, NID_subject_alt_name, san) ||
	    !add_ext(x, ca->cert, NID_authority_key_identifier, "keyid") ||
	    !X509_sign(x, ca->key, EVP_sha256())) {
		say(err, "cannot sign the certificate");
		rc = -ENOMEM;
		goto out;
	}
	*cert = pem_of(x);
	rc = *cert ? 0 : -ENOMEM;
	*not_after = now + (int64_t)days * 86400;
out:
	X509_free(x);
	X509_REQ_free(req);
	BIO_free(b);
	return rc;
}
