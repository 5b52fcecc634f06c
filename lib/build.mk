# lib/: code shared by several programs, linked as one static archive.
LIB_SRCS := $(wildcard lib/*.c lib/aoe/*.c)
LIBNIMBUS := $(B)/libnimbus.a

$(LIBNIMBUS): $(call objs,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# The storage agent's messages (JSON through jansson): linked only into the
# programs that speak them, so libnimbus users need no -ljansson.
STORAGE_MSG_OBJS := $(call objs,lib/agent/storage_msg.c)
$(eval $(call unit_test,storage_msg,$(STORAGE_MSG_OBJS),-ljansson))

# The hardware-node agent's messages, the same way; they name things by
# storage_msg.c's rules (smsg_name_ok), so its object comes along.
HOST_MSG_OBJS := $(call objs,lib/agent/host_msg.c) $(STORAGE_MSG_OBJS)
$(eval $(call unit_test,host_msg,$(HOST_MSG_OBJS),-ljansson))
