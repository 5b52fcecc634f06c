# storagenode/aoe-target: aoetd's protocol logic (no I/O), its unit tests,
# and the aoetd/aoetctl programs.

# Protocol logic shared by the aoetd program, its unit test and the fuzzer.
AOETD_LOGIC_OBJS := $(call objs,$(addprefix storagenode/aoe-target/,\
	target.c target_ata.c target_identify.c target_cfg.c target_lists.c))

# The AoE wire codec lives in lib/ (in libnimbus); its test sits here, with
# the target that is its main user.
$(eval $(call unit_test,aoe_proto,,))
$(eval $(call unit_test,target,$(AOETD_LOGIC_OBJS),))
$(OBJ)/tests/unit/test_target.o: CFLAGS += -Istoragenode/aoe-target

# --- aoetd and aoetctl (the daemon around the protocol logic) -----------------
AOETD_CONFIG_OBJS := $(call objs,storagenode/aoe-target/config.c)
AOETD_DAEMON_OBJS := $(AOETD_CONFIG_OBJS) $(call objs,$(addprefix storagenode/aoe-target/,\
	export.c netio.c ioeng.c wbatch.c control.c status.c daemon.c))

$(eval $(call program,aoetd,$(call objs,storagenode/aoe-target/aoetd.c) $(AOETD_DAEMON_OBJS) $(AOETD_LOGIC_OBJS),-luring))
$(eval $(call program,aoetctl,$(call objs,storagenode/aoe-target/aoetctl.c),))
$(eval $(call unit_test,aoetd_config,$(AOETD_CONFIG_OBJS),))
$(eval $(call unit_test,ioeng,$(call objs,storagenode/aoe-target/ioeng.c),-luring))
$(eval $(call unit_test,wbatch,$(call objs,storagenode/aoe-target/wbatch.c),))
