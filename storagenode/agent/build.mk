# storagenode/agent: the storage node's agent (nimbus-storaged). Disk rule
# and plan (disks.c, pure) apart from probing and LVM commands (probe.c);
# the /proc/drbd parser (procdrbd.c) and the per-volume state machine
# (volume_fsm.c) are pure as well.
STORAGED_LOGIC_OBJS := $(call objs,storagenode/agent/disks.c)
STORAGED_DRBD_OBJS := $(call objs,storagenode/agent/procdrbd.c storagenode/agent/volume_fsm.c) $(STORAGE_MSG_OBJS)
STORAGED_AGENT_OBJS := $(call objs,storagenode/agent/agent.c storagenode/agent/handlers.c \
	storagenode/agent/http.c storagenode/agent/child.c storagenode/agent/lvs.c \
	storagenode/agent/res_check.c)
$(eval $(call program,nimbus-storaged,$(call objs,storagenode/agent/storaged.c storagenode/agent/probe.c) $(STORAGED_LOGIC_OBJS) $(STORAGED_AGENT_OBJS) $(STORAGED_DRBD_OBJS),-ljansson))
$(eval $(call unit_test,storage_disks,$(STORAGED_LOGIC_OBJS),))
$(OBJ)/tests/unit/test_storage_disks.o: CFLAGS += -Istoragenode/agent
$(eval $(call unit_test,storage_procdrbd,$(STORAGED_DRBD_OBJS),-ljansson))
$(OBJ)/tests/unit/test_storage_procdrbd.o: CFLAGS += -Istoragenode/agent
$(eval $(call unit_test,storage_volume_fsm,$(STORAGED_DRBD_OBJS),-ljansson))
$(OBJ)/tests/unit/test_storage_volume_fsm.o: CFLAGS += -Istoragenode/agent
$(eval $(call unit_test,storage_res_check,$(call objs,storagenode/agent/res_check.c),))
$(OBJ)/tests/unit/test_storage_res_check.o: CFLAGS += -Istoragenode/agent
$(eval $(call unit_test,storage_http,$(call objs,storagenode/agent/http.c storagenode/agent/lvs.c),))
$(OBJ)/tests/unit/test_storage_http.o: CFLAGS += -Istoragenode/agent
