/* The node's libvirt TLS key, request and files (host_cert.h). */
#include "host_cert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file_util.h"

/* vsnprintf: a long path is cut, without gcc's truncation warning. */
__attribute__((format(printf, 2, 3)))
static void say(char err[HOST_CERT_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, HOST_CERT_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* "what: libcrypto's reason" (its first queued error), the queue emptied. */
static int ossl_fail(char err[HOST_CERT_ERR_MAX], int rc, const char *what)
{
	unsigned long e = ERR_peek_error();
	char reason[160] = "";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	say(err, "%s%s%s", what, reason[0] ? ": " : "", reason);
	return rc;
}

int host_cert_paths(const char *pki_dir, struct host_cert_paths *p)
{
	size_t n = strlen(pki_dir);

	memset(p, 0, sizeof(*p));
	while (n > 1 && pki_dir[n - 1] == '/')
		n--;
	/* the longest: PKI/libvirt/private/serverkey.pem */
	if (n > sizeof(p->private_dir) - sizeof("/libvirt/private") ||
	    n + sizeof("/libvirt/private/serverkey.pem") > sizeof(p->server_key))
		return -ENAMETOOLONG;
	snprintf(p->ca_dir, sizeof(p->ca_dir), "%.*s/CA", (int)n, pki_dir);
	snprintf(p->libvirt_dir, sizeof(p->libvirt_dir), "%.*s/libvirt", (int)n, pki_dir);
	snprintf(p->private_dir, sizeof(p->private_dir), "%.*s/libvirt/private", (int)n, pki_dir);
	snprintf(p->ca, sizeof(p->ca), "%s/cacert.pem", p->ca_dir);
	snprintf(p->server_cert, sizeof(p->server_cert), "%s/servercert.pem", p->libvirt_dir);
	snprintf(p->client_cert, sizeof(p->client_cert), "%s/clientcert.pem", p->libvirt_dir);
	snprintf(p->server_key, sizeof(p->server_key), "%s/serverkey.pem", p->private_dir);
	snprintf(p->client_key, sizeof(p->client_key), "%s/clientkey.pem", p->private_dir);
	return 0;
}

/* A memory BIO's text, malloc()ed and NUL-terminated. */
static char *bio_text(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

void host_cert_free_key(char *key_pem)
{
	if (key_pem)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
}

int host_cert_make_csr(const char *cn, char **key_pem, char **csr_pem,
		       char err[HOST_CERT_ERR_MAX])
{
	EVP_PKEY *k = NULL;
	X509_REQ *r = NULL;
	BIO *kb = NULL, *rb = NULL;
	int rc = -EINVAL;

	*key_pem = *csr_pem = NULL;
	err[0] = '\0';
	if (!cn[0] || strlen(cn) >= HMSG_NAME_MAX) {
		say(err, "no node name for the certificate's CN");
		return -EINVAL;
	}
	if (!(k = EVP_EC_gen("P-256"))) {
		rc = ossl_fail(err, -EINVAL, "cannot make an EC P-256 key");
		goto out;
	}
	if (!(r = X509_REQ_new()) || !X509_REQ_set_version(r, 0) ||   /* v1 */
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_pubkey(r, k) || X509_REQ_sign(r, k, EVP_sha256()) <= 0) {
		rc = ossl_fail(err, -EINVAL, "cannot make the certificate request");
		goto out;
	}
	/* the key's text in libcrypto's secure (cleared on free) buffer */
	if (!(kb = BIO_new(BIO_s_secmem())) || !(rb = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509_REQ(rb, r)) {
		rc = ossl_fail(err, -ENOMEM, "cannot write the key or the request as PEM");
		goto out;
	}
	*key_pem = bio_text(kb);
	*csr_pem = bio_text(rb);
	if (!*key_pem || !*csr_pem) {
		host_cert_free_key(*key_pem);
		free(*csr_pem);
		*key_pem = *csr_pem = NULL;
		say(err, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
out:
	BIO_free(kb);
	BIO_free(rb);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	return rc;
}

static X509 *read_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

static EVP_PKEY *read_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return k;
}

static int cert_info(X509 *x, struct host_cert_info *info, char err[HOST_CERT_ERR_MAX])
{
	const ASN1_TIME *na = X509_get0_notAfter(x);
	struct tm tm;
	char cn[256];
	int n;

	memset(info, 0, sizeof(*info));
	memset(&tm, 0, sizeof(tm));
	if (!na || !ASN1_TIME_to_tm(na, &tm))
		return ossl_fail(err, -EINVAL, "the certificate's notAfter does not parse");
	info->not_after = (int64_t)timegm(&tm);
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	if (n > 0 && (size_t)n < sizeof(info->cn))
		memcpy(info->cn, cn, (size_t)n + 1);
	ERR_clear_error();   /* no CN is no error */
	return 0;
}

int host_cert_info(const char *pem, struct host_cert_info *info, char err[HOST_CERT_ERR_MAX])
{
	X509 *x = read_cert(pem);
	int rc;

	err[0] = '\0';
	memset(info, 0, sizeof(*info));
	if (!x)
		return ossl_fail(err, -EINVAL, "not a PEM certificate");
	rc = cert_info(x, info, err);
	X509_free(x);
	return rc;
}

void host_cert_date(int64_t t, char out[HOST_CERT_DATE_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, HOST_CERT_DATE_MAX, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, HOST_CERT_DATE_MAX, "@%lld", (long long)t);
}

int host_cert_check_reply(const char *ca_pem, const char *cert_pem, const char *key_pem,
			  int64_t now, struct host_cert_info *info, char err[HOST_CERT_ERR_MAX])
{
	X509 *ca = read_cert(ca_pem), *x = read_cert(cert_pem);
	EVP_PKEY *k = read_key(key_pem);
	char date[HOST_CERT_DATE_MAX];
	int rc = -EINVAL;

	err[0] = '\0';
	memset(info, 0, sizeof(*info));
	if (!k) {
		rc = ossl_fail(err, -EINVAL, "the request's own key does not parse");
	} else if (!ca) {
		rc = ossl_fail(err, -EINVAL, "ca: not a PEM certificate");
	} else if (!x) {
		rc = ossl_fail(err, -EINVAL, "cert: not a PEM certificate");
	} else if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();   /* "key values mismatch": said better here */
		say(err, "cert: not for the key of this node's request");
	} else if (X509_check_ca(ca) < 1) {
		rc = ossl_fail(err, -EINVAL, "ca: not a CA certificate");
	} else if (X509_verify(x, X509_get0_pubkey(ca)) != 1) {
		rc = ossl_fail(err, -EINVAL, "cert: not signed by the CA sent with it");
	} else if ((rc = cert_info(x, info, err)) == 0 && info->not_after <= now) {
		host_cert_date(info->not_after, date);
		say(err, "cert: expired %s", date);
		rc = -EINVAL;
	}
	X509_free(ca);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* A PEM file whole (they are small), or NULL with err. */
static char *read_pem_file(const char *path, char err[HOST_CERT_ERR_MAX])
{
	char *buf = malloc(HMSG_PEM_MAX * 2);
	ssize_t n;

	if (!buf) {
		say(err, "out of memory");
		return NULL;
	}
	n = file_read(path, buf, HMSG_PEM_MAX * 2);
	if (n < 0)
		say(err, "%s: %s", path, strerror((int)-n));
	else if (n == 0)
		say(err, "%s is empty", path);
	if (n > 0)
		return buf;
	free(buf);
	return NULL;
}

int host_cert_needed(const struct host_cert_paths *p, const char *node, int64_t now,
		     struct host_cert_info *info, char why[HOST_CERT_ERR_MAX])
{
	const char *const others[] = { p->ca, p->client_cert, p->client_key };
	char *cert = NULL, *key = NULL, e[HOST_CERT_ERR_MAX], date[HOST_CERT_DATE_MAX];
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	struct stat st;
	int need = 1;

	memset(info, 0, sizeof(*info));
	why[0] = '\0';
	if (!(cert = read_pem_file(p->server_cert, e))) {
		say(why, "no certificate (%s)", e);
		goto out;
	}
	if (!(x = read_cert(cert)) || cert_info(x, info, e) < 0) {
		ERR_clear_error();
		say(why, "%s is not a PEM certificate", p->server_cert);
		goto out;
	}
	if (!(key = read_pem_file(p->server_key, e))) {
		say(why, "no key (%s)", e);
		goto out;
	}
	if (!(k = read_key(key)) || X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		say(why, "%s is not %s's key", p->server_key,
			 p->server_cert);
		goto out;
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (stat(others[i], &st) < 0 || st.st_size == 0) {
			say(why, "%s is missing or empty", others[i]);
			goto out;
		}
	host_cert_date(info->not_after, date);
	if (info->not_after <= now) {
		say(why, "the certificate expired %s", date);
		goto out;
	}
	if (info->not_after - now <= HOST_CERT_RENEW_S) {
		say(why, "the certificate expires %s, within %d days", date,
			 HOST_CERT_RENEW_S / 86400);
		goto out;
	}
	if (node && node[0] && strcmp(info->cn, node) != 0) {
		say(why, "the certificate is for '%s', the node is %s",
			 info->cn, node);
		goto out;
	}
	need = 0;
out:
	free(cert);
	host_cert_free_key(key);
	X509_free(x);
	EVP_PKEY_free(k);
	return need;
}

int host_cert_install(const struct host_cert_paths *p, const char *ca_pem,
		      const char *cert_pem, const char *key_pem, char err[HOST_CERT_ERR_MAX])
{
	const struct { const char *dir; mode_t mode; bool force; } dirs[] = {
		{ p->ca_dir, 0755, false }, { p->libvirt_dir, 0755, false },
		{ p->private_dir, 0700, true },
	};
	/* keys first: until the certificate follows, the old one no longer
	 * matches its key, and host_cert_needed says so */
	const struct { const char *path, *text; mode_t mode; } files[] = {
		{ p->server_key, key_pem, 0600 }, { p->client_key, key_pem, 0600 },
		{ p->server_cert, cert_pem, 0644 }, { p->client_cert, cert_pem, 0644 },
		{ p->ca, ca_pem, 0644 },
	};
	int rc;

	err[0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((rc = file_make_dir(dirs[i].dir, dirs[i].mode, dirs[i].force)) < 0) {
			say(err, "cannot make %s: %s", dirs[i].dir,
				 strerror(-rc));
			return rc;
		}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((rc = file_write_atomic_mode(files[i].path, files[i].text, files[i].mode)) < 0) {
			say(err, "cannot write %s: %s", files[i].path,
				 strerror(-rc));
			return rc;
		}
	return 0;
}
