# confignode/: nimbusd (the config node daemon) and nimbus (its CLI).

# Provisioning (provision.h): generators, validation, OMAPI, the transaction
# and the helper programs it runs.
PROVISION_SRCS := $(sort $(wildcard confignode/gen_*.c confignode/prov_*.c confignode/dhcp_*.c \
	confignode/provision.c confignode/validate.c))
PROVISION_LIBS :=
$(eval $(call unit_test,gen,$(call objs,$(PROVISION_SRCS)),$(PROVISION_LIBS)))

# replicated volumes: pairs, volumes, the storage nodes' endpoints
STORAGE_CORE_SRCS := confignode/api_storage.c confignode/api_pairs.c confignode/api_volumes.c \
	confignode/api_storage_node.c confignode/storage_wait.c \
	confignode/db_storage.c confignode/storage_logic.c \
	confignode/size_units.c confignode/import_progress.c lib/agent/storage_msg.c
# instances and templates, the hardware nodes' endpoints
INSTANCE_CORE_SRCS := confignode/api_host.c confignode/api_instances.c \
	confignode/db_instance.c confignode/host_logic.c lib/agent/host_msg.c confignode/tls_ca.c
CLI_STORAGE_SRCS := confignode/cli_storage.c confignode/size_units.c
NIMBUSD_CORE_SRCS := confignode/config.c confignode/db.c confignode/node_state.c \
	confignode/api.c confignode/api_nodes.c \
	confignode/api_images.c confignode/api_report.c \
	$(STORAGE_CORE_SRCS) $(INSTANCE_CORE_SRCS)
NIMBUSD_LIBS := -lsqlite3 -ljansson -lcrypto $(PROVISION_LIBS)

$(eval $(call program,nimbusd,$(call objs,confignode/nimbusd.c confignode/httpd.c \
	confignode/admin_auth.c confignode/tftp_watch.c confignode/import_run.c \
	$(NIMBUSD_CORE_SRCS) $(PROVISION_SRCS)),$(NIMBUSD_LIBS) -lmicrohttpd))

$(eval $(call program,nimbus,$(call objs,confignode/nimbus.c confignode/cli_http.c \
	confignode/cli_print.c confignode/cli_node.c confignode/cli_image.c \
	confignode/cli_hook.c confignode/cli_util.c confignode/cli_instance.c \
	$(CLI_STORAGE_SRCS)),-lcurl -ljansson))

$(eval $(call unit_test,validate,$(call objs,confignode/validate.c),))
$(eval $(call unit_test,confignode_config,$(call objs,confignode/config.c confignode/validate.c),))
$(eval $(call unit_test,node_state,$(call objs,confignode/node_state.c),))
$(eval $(call unit_test,db,$(call objs,confignode/db.c confignode/node_state.c \
	confignode/validate.c),-lsqlite3))
$(eval $(call unit_test,api,$(call objs,$(NIMBUSD_CORE_SRCS) $(PROVISION_SRCS)),$(NIMBUSD_LIBS)))
$(eval $(call unit_test,admin_auth,$(call objs,confignode/admin_auth.c),))
$(eval $(call unit_test,tftp_watch,$(call objs,confignode/tftp_watch.c $(PROVISION_SRCS)),$(PROVISION_LIBS)))
$(eval $(call unit_test,prov_txn,$(call objs,$(PROVISION_SRCS)),$(PROVISION_LIBS)))

# --- replicated volumes (pairs, volumes, the storage nodes' endpoints) ---
$(eval $(call unit_test,storage_logic,$(call objs,confignode/storage_logic.c \
	confignode/size_units.c confignode/gen_drbd.c lib/agent/storage_msg.c),-ljansson))
$(eval $(call unit_test,db_storage,$(call objs,confignode/db.c confignode/db_storage.c \
	confignode/node_state.c confignode/validate.c),-lsqlite3))
$(eval $(call unit_test,api_storage,$(call objs,$(NIMBUSD_CORE_SRCS) $(PROVISION_SRCS)),$(NIMBUSD_LIBS)))
$(eval $(call unit_test,api_instances,$(call objs,$(NIMBUSD_CORE_SRCS) $(PROVISION_SRCS)),$(NIMBUSD_LIBS)))
$(eval $(call unit_test,storage_wait,$(call objs,confignode/storage_wait.c),))
$(OBJ)/tests/unit/test_storage_wait.o: CFLAGS += -Iconfignode
$(eval $(call unit_test,import_progress,$(call objs,confignode/import_progress.c),))
$(OBJ)/tests/unit/test_import_progress.o: CFLAGS += -Iconfignode

# --- instances ---
$(eval $(call unit_test,gen_domain,$(call objs,confignode/gen_domain.c confignode/validate.c),))
$(eval $(call unit_test,host_logic,$(call objs,confignode/host_logic.c confignode/gen_domain.c \
	confignode/validate.c lib/agent/host_msg.c lib/agent/storage_msg.c),-ljansson))
$(OBJ)/tests/unit/test_host_logic.o: CFLAGS += -Iconfignode
$(eval $(call unit_test,tls_ca,$(call objs,confignode/tls_ca.c),-lcrypto))
$(OBJ)/tests/unit/test_tls_ca.o: CFLAGS += -Iconfignode
