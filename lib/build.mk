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
