/* Pure checks of the strings provisioning puts into generated files, and
 * how every generator ends its text. The whole-struct checks
 * prov_config_validate() / prov_node_validate() are declared in
 * provision.h. */
#ifndef NIMBUS_PROV_VALIDATE_H
#define NIMBUS_PROV_VALIDATE_H

#include <stdbool.h>
#include <stdio.h>

#include "provision.h"

bool prov_valid_label(const char *s);     /* DNS label: [A-Za-z0-9-], 1..63 */
bool prov_valid_relpath(const char *s);   /* TFTP-relative file path */
bool prov_valid_abspath(const char *s);   /* absolute host path */
bool prov_valid_cmdline(const char *s);   /* printable ASCII, no "---" */
bool prov_valid_secret(const char *s);    /* base64 */
bool prov_valid_key_name(const char *s);
bool prov_valid_algorithm(const char *s); /* HMAC-MD5 ... HMAC-SHA512 */

/* path made relative to cfg->tftp_root when it is an absolute path inside
 * it; otherwise path itself. Points into path. */
const char *prov_tftp_relative(const struct prov_config *cfg, const char *path);

/* Closes the open_memstream() f that generated *text: 0, or -ENOMEM when a
 * write or the close failed (*text then freed and NULL). */
int prov_text_finish(FILE *f, char **text);

#endif
