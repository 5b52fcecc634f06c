/* nimbusd's certificate authority (confignode/tls_ca.c): made once and
 * loaded after, half a CA refused, a CSR signed for the name and address
 * nimbusd gives (not the CSR's), a certificate that verifies against the
 * CA, a CSR that does not parse or verify refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_ca.h"

#define NOW 1796000000LL

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_tls_ca.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A CSR as the agent makes it: EC P-256, subject CN=cn. */
static char *make_csr(const char *cn, EVP_PKEY **keyp)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(key);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	*keyp = key;
	return out;
}

static X509 *parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void test_make_load_sign(void **state)
{
	struct tls_ca *ca, *again;
	char err[TLS_CA_ERR_MAX], sub[160], path[128], *csr, *cert = NULL, *ca_pem;
	EVP_PKEY *key, *capub;
	int64_t not_after = 0;
	struct stat st;
	X509 *x, *cax;
	GENERAL_NAMES *sans;
	bool ip_ok = false;

	(void)state;
	assert_int_equal(tls_ca_open(dir, "cn1", NOW, &ca, err), 0);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ca_pem = strdup(tls_ca_pem(ca));
	/* the second start loads the same CA */
	assert_int_equal(tls_ca_open(dir, "cn1", NOW + 10, &again, err), 0);
	assert_string_equal(tls_ca_pem(again), ca_pem);
	tls_ca_close(again);

	csr = make_csr("someone-else", &key);
	assert_int_equal(tls_ca_sign(ca, csr, "hw1", 0x0a4d000c, 365, NOW, &cert, &not_after, err), 0);
	assert_int_equal(not_after, NOW + 365LL * 86400);
	x = parse(cert);
	cax = parse(ca_pem);
	capub = X509_get0_pubkey(cax);
	assert_int_equal(X509_verify(x, capub), 1);
	/* the key is the CSR's, the name nimbusd's */
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	X509_NAME_oneline(X509_get_subject_name(x), sub, sizeof(sub));
	assert_non_null(strstr(sub, "CN=hw1"));
	assert_null(strstr(sub, "someone-else"));
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(sans);
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char want[4] = { 10, 77, 0, 12 };

		if (g->type == GEN_IPADD && g->d.ip->length == 4 && !memcmp(g->d.ip->data, want, 4))
			ip_ok = true;
	}
	assert_true(ip_ok);
	GENERAL_NAMES_free(sans);
	assert_true((X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
		    (XKU_SSL_SERVER | XKU_SSL_CLIENT));
	X509_free(x);
	X509_free(cax);
	EVP_PKEY_free(key);
	free(cert);
	free(csr);
	free(ca_pem);
	tls_ca_close(ca);
}

static void test_bad_csr(void **state)
{
	struct tls_ca *ca;
	char err[TLS_CA_ERR_MAX], *cert = NULL, *csr, *p;
	EVP_PKEY *key;
	int64_t na;

	(void)state;
	assert_int_equal(tls_ca_open(dir, "cn1", NOW, &ca, err), 0);
	assert_int_equal(tls_ca_sign(ca, "not a csr", "hw1", 1, 365, NOW, &cert, &na, err), -EINVAL);
	assert_non_null(strstr(err, "does not parse"));
	assert_null(cert);
	/* one byte of the signature changed */
	csr = make_csr("hw1", &key);
	p = strstr(csr, "-----END");
	assert_non_null(p);
	p[-6] = p[-6] == 'A' ? 'B' : 'A';
	assert_int_equal(tls_ca_sign(ca, csr, "hw1", 1, 365, NOW, &cert, &na, err), -EINVAL);
	EVP_PKEY_free(key);
	free(csr);
	tls_ca_close(ca);
}

static void test_half_ca(void **state)
{
	struct tls_ca *ca;
	char err[TLS_CA_ERR_MAX], path[128];

	(void)state;
	assert_int_equal(tls_ca_open(dir, "cn1", NOW, &ca, err), 0);
	tls_ca_close(ca);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tls_ca_open(dir, "cn1", NOW, &ca, err), -EINVAL);
	assert_non_null(strstr(err, "half a CA"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_make_load_sign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_csr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_ca, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
