/* The node's libvirt certificate (hwnode/agent/host_cert.c): a generated
 * request parses back, is signed by its key and names the node; a
 * certificate's not_after and CN are read right; nimbusd's answer is
 * checked against the key and the CA; the five files are written with
 * their modes, and host_cert_needed says when a new certificate is due.
 * The CA here is made with libcrypto, as nimbusd's is (confignode/tls_ca.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file_util.h"
#include "host_cert.h"

#define NOW ((int64_t)1764800000)   /* 2025-12-03 */

static char *pem_of_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0);
	assert_non_null(s = strndup(data, (size_t)n));
	BIO_free(b);
	return s;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	assert_non_null(e = X509V3_EXT_conf_nid(NULL, &v3, nid, value));
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A CA: an EC key and its self-signed certificate. */
static void make_ca(EVP_PKEY **key, X509 **cert, const char *cn)
{
	X509 *x = X509_new();

	assert_non_null(*key = EVP_EC_gen("P-256"));
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(NOW - 86400));
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(NOW + 3650 * 86400LL));
	X509_set_pubkey(x, *key);
	add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	assert_true(X509_sign(x, *key, EVP_sha256()) > 0);
	*cert = x;
}

/* What nimbusd does with a request: its key and subject, our validity. */
static char *sign(const char *csr_pem, EVP_PKEY *ca_key, X509 *ca, int64_t not_after)
{
	BIO *b = BIO_new_mem_buf(csr_pem, -1);
	X509_REQ *r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	X509 *x = X509_new();
	char *pem;

	assert_non_null(r);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_set_subject_name(x, X509_REQ_get_subject_name(r));
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(NOW - 3600));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after));
	X509_set_pubkey(x, X509_REQ_get0_pubkey(r));
	add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(x, ca, NID_subject_alt_name, "IP:10.77.0.11,DNS:hw1");
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	pem = pem_of_cert(x);
	X509_free(x);
	X509_REQ_free(r);
	BIO_free(b);
	return pem;
}

static void test_make_csr(void **state)
{
	char err[HOST_CERT_ERR_MAX], *key, *csr, *key2, *csr2, cn[64];
	struct hmsg_cert_req req = { .mac = { 0x52, 0x54, 0, 1, 2, 3 }, .node = "hw1" };
	EVP_PKEY *k;
	X509_REQ *r;
	BIO *b;
	char *json;

	(void)state;
	assert_int_equal(host_cert_make_csr("hw1", &key, &csr, err), 0);
	assert_int_equal(strncmp(key, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	assert_int_equal(strncmp(csr, "-----BEGIN CERTIFICATE REQUEST-----\n", 36), 0);

	/* the request parses back, its signature is its key's, CN is the node */
	assert_non_null(b = BIO_new_mem_buf(csr, -1));
	assert_non_null(r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL));
	BIO_free(b);
	assert_non_null(b = BIO_new_mem_buf(key, -1));
	assert_non_null(k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL));
	BIO_free(b);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(r), k), 1);
	assert_int_equal(X509_REQ_verify(r, k), 1);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(r), NID_commonName,
						   cn, sizeof(cn)), 3);
	assert_string_equal(cn, "hw1");
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(r)), 1);
	assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(k), 256);
	{
		char group[64];

		assert_int_equal(EVP_PKEY_get_group_name(k, group, sizeof(group), NULL), 1);
		assert_string_equal(group, "prime256v1");
	}
	X509_REQ_free(r);
	EVP_PKEY_free(k);

	/* what the codec takes as PEM text */
	snprintf(req.csr, sizeof(req.csr), "%s", csr);
	assert_int_equal(hmsg_cert_req_encode(&req, &json), 0);
	free(json);

	/* a new key every time */
	assert_int_equal(host_cert_make_csr("hw1", &key2, &csr2, err), 0);
	assert_string_not_equal(key, key2);
	host_cert_free_key(key);
	host_cert_free_key(key2);
	host_cert_free_key(NULL);
	free(csr);
	free(csr2);

	assert_int_equal(host_cert_make_csr("", &key, &csr, err), -EINVAL);
	assert_null(key);
	assert_null(csr);
	assert_string_equal(err, "no node name for the certificate's CN");
}

static void test_info(void **state)
{
	static const int64_t times[] = {
		NOW + 365 * 86400LL,   /* UTCTime */
		2600000000LL,          /* 2052: GeneralizedTime */
		NOW - 1,
	};
	struct host_cert_info info;
	char err[HOST_CERT_ERR_MAX], *key, *csr, date[HOST_CERT_DATE_MAX];
	EVP_PKEY *cak;
	X509 *ca;

	(void)state;
	make_ca(&cak, &ca, "nimbus CA");
	assert_int_equal(host_cert_make_csr("hw1", &key, &csr, err), 0);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char *cert = sign(csr, cak, ca, times[i]);

		assert_int_equal(host_cert_info(cert, &info, err), 0);
		assert_true(info.not_after == times[i]);
		assert_string_equal(info.cn, "hw1");
		free(cert);
	}
	{
		char *pem = pem_of_cert(ca);

		assert_int_equal(host_cert_info(pem, &info, err), 0);
		assert_string_equal(info.cn, "nimbus CA");
		free(pem);
	}
	assert_int_equal(host_cert_info("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
					&info, err), -EINVAL);
	assert_int_equal(strncmp(err, "not a PEM certificate", 21), 0);
	assert_int_equal(host_cert_info("", &info, err), -EINVAL);
	host_cert_date(1796336000, date);
	assert_string_equal(date, "2026-12-03 22:13:20 UTC");
	host_cert_free_key(key);
	free(csr);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

static void test_check_reply(void **state)
{
	struct host_cert_info info;
	char err[HOST_CERT_ERR_MAX], *key, *csr, *other_key, *other_csr, *cert, *ca_pem,
		*other_ca_pem, *other_cert;
	EVP_PKEY *cak, *cak2;
	X509 *ca, *ca2;

	(void)state;
	make_ca(&cak, &ca, "nimbus CA");
	make_ca(&cak2, &ca2, "another CA");
	ca_pem = pem_of_cert(ca);
	other_ca_pem = pem_of_cert(ca2);
	assert_int_equal(host_cert_make_csr("hw1", &key, &csr, err), 0);
	assert_int_equal(host_cert_make_csr("hw1", &other_key, &other_csr, err), 0);
	cert = sign(csr, cak, ca, NOW + 365 * 86400LL);

	assert_int_equal(host_cert_check_reply(ca_pem, cert, key, NOW, &info, err), 0);
	assert_true(info.not_after == NOW + 365 * 86400LL);
	assert_string_equal(info.cn, "hw1");

	/* a certificate for another key: not installed over ours */
	assert_int_equal(host_cert_check_reply(ca_pem, cert, other_key, NOW, &info, err), -EINVAL);
	assert_string_equal(err, "cert: not for the key of this node's request");
	/* signed by another CA than the one sent */
	assert_int_equal(host_cert_check_reply(other_ca_pem, cert, key, NOW, &info, err), -EINVAL);
	assert_non_null(strstr(err, "cert: not signed by the CA sent with it"));
	/* a leaf is no CA */
	assert_int_equal(host_cert_check_reply(cert, cert, key, NOW, &info, err), -EINVAL);
	assert_string_equal(err, "ca: not a CA certificate");
	/* expired on arrival */
	assert_int_equal(host_cert_check_reply(ca_pem, cert, key, NOW + 366 * 86400LL, &info, err),
			 -EINVAL);
	assert_string_equal(err, "cert: expired 2026-12-03 22:13:20 UTC");
	/* not PEM at all */
	assert_int_equal(host_cert_check_reply("-----BEGIN X\n", cert, key, NOW, &info, err), -EINVAL);
	assert_int_equal(strncmp(err, "ca: not a PEM certificate", 25), 0);
	assert_int_equal(host_cert_check_reply(ca_pem, "-----BEGIN X\n", key, NOW, &info, err),
			 -EINVAL);
	assert_int_equal(strncmp(err, "cert: not a PEM certificate", 27), 0);
	assert_int_equal(host_cert_check_reply(ca_pem, cert, "", NOW, &info, err), -EINVAL);
	assert_int_equal(strncmp(err, "the request's own key does not parse", 36), 0);

	other_cert = sign(other_csr, cak2, ca2, NOW + 86400);
	assert_int_equal(host_cert_check_reply(other_ca_pem, other_cert, other_key, NOW, &info, err), 0);
	free(other_cert);
	free(cert);
	free(ca_pem);
	free(other_ca_pem);
	host_cert_free_key(key);
	host_cert_free_key(other_key);
	free(csr);
	free(other_csr);
	X509_free(ca);
	X509_free(ca2);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(cak2);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static void test_install_needed(void **state)
{
	char dir[] = "/tmp/test_host_cert.XXXXXX", pki[300], err[HOST_CERT_ERR_MAX], why[HOST_CERT_ERR_MAX];
	char *key, *csr, *key2, *csr2, *cert, *ca_pem, text[HMSG_PEM_MAX * 2];
	struct host_cert_paths p;
	struct host_cert_info info;
	int64_t not_after = NOW + 365 * 86400LL;
	EVP_PKEY *cak;
	X509 *ca;
	mode_t um;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pki, sizeof(pki), "%s/pki/", dir);   /* a trailing '/' is fine */
	assert_int_equal(host_cert_paths(pki, &p), 0);
	assert_string_equal(p.ca, strcat(strcpy(text, dir), "/pki/CA/cacert.pem"));
	assert_string_equal(p.server_key, strcat(strcpy(text, dir), "/pki/libvirt/private/serverkey.pem"));
	assert_string_equal(p.client_cert, strcat(strcpy(text, dir), "/pki/libvirt/clientcert.pem"));

	make_ca(&cak, &ca, "nimbus CA");
	ca_pem = pem_of_cert(ca);
	assert_int_equal(host_cert_make_csr("hw1", &key, &csr, err), 0);
	assert_int_equal(host_cert_make_csr("hw1", &key2, &csr2, err), 0);
	cert = sign(csr, cak, ca, not_after);

	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 1);
	assert_int_equal(strncmp(why, "no certificate (", 16), 0);
	assert_non_null(strstr(why, "servercert.pem: No such file or directory)"));

	/* a strict umask changes no mode; a private/ that was open is closed */
	assert_int_equal(mkdir(strcat(strcpy(text, dir), "/pki"), 0755), 0);
	assert_int_equal(mkdir(strcat(strcpy(text, dir), "/pki/libvirt"), 0755), 0);
	assert_int_equal(mkdir(p.private_dir, 0755), 0);
	um = umask(077);
	assert_int_equal(host_cert_install(&p, ca_pem, cert, key, err), 0);
	umask(um);
	assert_int_equal(mode_of(p.ca_dir), 0755);
	assert_int_equal(mode_of(p.private_dir), 0700);
	assert_int_equal(mode_of(p.ca), 0644);
	assert_int_equal(mode_of(p.server_cert), 0644);
	assert_int_equal(mode_of(p.client_cert), 0644);
	assert_int_equal(mode_of(p.server_key), 0600);
	assert_int_equal(mode_of(p.client_key), 0600);
	assert_true(file_read(p.server_key, text, sizeof(text)) > 0);
	assert_string_equal(text, key);
	assert_true(file_read(p.client_cert, text, sizeof(text)) > 0);
	assert_string_equal(text, cert);
	assert_true(file_read(p.ca, text, sizeof(text)) > 0);
	assert_string_equal(text, ca_pem);

	/* in place and good */
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 0);
	assert_true(info.not_after == not_after);
	assert_string_equal(info.cn, "hw1");
	assert_int_equal(host_cert_needed(&p, "hw1", NOW, &info, why), 0);
	assert_int_equal(host_cert_needed(&p, "hw1", not_after - HOST_CERT_RENEW_S - 1, &info, why), 0);
	/* due */
	assert_int_equal(host_cert_needed(&p, "hw2", NOW, &info, why), 1);
	assert_string_equal(why, "the certificate is for 'hw1', the node is hw2");
	assert_int_equal(host_cert_needed(&p, NULL, not_after - HOST_CERT_RENEW_S, &info, why), 1);
	assert_string_equal(why, "the certificate expires 2026-12-03 22:13:20 UTC, within 7 days");
	assert_int_equal(host_cert_needed(&p, NULL, not_after, &info, why), 1);
	assert_string_equal(why, "the certificate expired 2026-12-03 22:13:20 UTC");

	/* half a pair: another key over the certificate's */
	assert_int_equal(file_write_atomic_mode(p.server_key, key2, 0600), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 1);
	assert_non_null(strstr(why, "serverkey.pem is not "));
	assert_int_equal(file_write_atomic_mode(p.server_key, key, 0600), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 0);
	/* a file of the five gone, or empty */
	assert_int_equal(unlink(p.client_key), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 1);
	assert_non_null(strstr(why, "clientkey.pem is missing or empty"));
	assert_int_equal(file_write_atomic(p.ca, ""), 0);
	assert_int_equal(host_cert_install(&p, ca_pem, cert, key, err), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 0);
	assert_int_equal(file_write_atomic(p.ca, ""), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 1);
	assert_non_null(strstr(why, "cacert.pem is missing or empty"));
	assert_int_equal(file_write_atomic(p.server_cert, "garbage\n"), 0);
	assert_int_equal(host_cert_needed(&p, NULL, NOW, &info, why), 1);
	assert_non_null(strstr(why, "servercert.pem is not a PEM certificate"));

	/* a file where a directory goes */
	assert_int_equal(unlink(p.server_key), 0);
	assert_int_equal(unlink(p.client_key), 0);
	assert_int_equal(rmdir(p.private_dir), 0);
	assert_int_equal(file_write_atomic(p.private_dir, "x"), 0);
	assert_int_equal(host_cert_install(&p, ca_pem, cert, key, err), -ENOTDIR);
	assert_non_null(strstr(err, "/pki/libvirt/private: Not a directory"));

	assert_int_equal(host_cert_paths("/x", &p), 0);
	memset(text, 'a', 300);
	text[0] = '/';
	text[300] = '\0';
	assert_int_equal(host_cert_paths(text, &p), -ENAMETOOLONG);

	/* clean up */
	snprintf(text, sizeof(text), "%s/pki", dir);
	assert_int_equal(host_cert_paths(text, &p), 0);
	unlink(p.private_dir);
	unlink(p.server_cert);
	unlink(p.client_cert);
	unlink(p.ca);
	rmdir(p.libvirt_dir);
	rmdir(p.ca_dir);
	rmdir(text);
	assert_int_equal(rmdir(dir), 0);

	free(cert);
	free(ca_pem);
	host_cert_free_key(key);
	host_cert_free_key(key2);
	free(csr);
	free(csr2);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_csr),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_check_reply),
		cmocka_unit_test(test_install_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
