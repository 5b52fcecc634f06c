/* HTTP over nimbusd's Unix socket with libcurl. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define REPLY_MAX (8 * 1024 * 1024)

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;
	char *nd;

	if (b->len + n > REPLY_MAX)
		return 0;
	nd = realloc(b->data, b->len + n + 1);
	if (!nd)
		return 0;
	memcpy(nd + b->len, p, n);
	b->data = nd;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

int cli_call(struct cli *cli, const char *method, const char *path, json_t *body,
	     json_t **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct buf b = { 0 };
	char url[512], *text = NULL;
	long status = 0;
	CURLcode cc;
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	/* The host part is ignored on a Unix socket. */
	snprintf(url, sizeof(url), "http://nimbusd%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cli->socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			rc = -ENOMEM;
			goto out;
		}
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		long os_errno = 0;

		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
		fprintf(stderr, "nimbus: cannot reach nimbusd at %s: %s%s%s\n", cli->socket,
			curl_easy_strerror(cc), os_errno ? ": " : "",
			os_errno ? strerror((int)os_errno) : "");
		rc = -ECONNREFUSED;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*out = b.data ? json_loads(b.data, 0, NULL) : NULL;
	if (!*out) {
		fprintf(stderr, "nimbus: nimbusd answered HTTP %ld without JSON\n", status);
		rc = -EPROTO;
		goto out;
	}
	rc = (int)status;
out:
	free(text);
	free(b.data);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}
