/* Provisioning's side of validation: the whole-struct checks
 * prov_config_validate() / prov_node_validate() (declared in provision.h)
 * apply validate.h's rules, the ones the API and the configuration parser
 * use, to every field; plus how every generator ends its text. */
#ifndef NIMBUS_PROV_VALIDATE_H
#define NIMBUS_PROV_VALIDATE_H

#include <stdbool.h>
#include <stdio.h>

#include "provision.h"
#include "validate.h"


/* path made relative to cfg->tftp_root when it is an absolute path inside
 * it; otherwise path itself. Points into path. */
const char *prov_tftp_relative(const struct prov_config *cfg, const char *path);

/* Closes the open_memstream() f that generated *text: 0, or -ENOMEM when a
 * write or the close failed (*text then freed and NULL). */
int prov_text_finish(FILE *f, char **text);

#endif
