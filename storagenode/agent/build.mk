# storagenode/agent: the storage node's agent (nimbus-storaged). Disk rule
# and plan (disks.c, pure) apart from probing and LVM commands (probe.c).
STORAGED_LOGIC_OBJS := $(call objs,storagenode/agent/disks.c)
$(eval $(call program,nimbus-storaged,$(call objs,storagenode/agent/storaged.c storagenode/agent/probe.c) $(STORAGED_LOGIC_OBJS),))
$(eval $(call unit_test,storage_disks,$(STORAGED_LOGIC_OBJS),))
$(OBJ)/tests/unit/test_storage_disks.o: CFLAGS += -Istoragenode/agent
