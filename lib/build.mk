# lib/: code shared by several programs, linked as one static archive.
LIB_SRCS := $(wildcard lib/*.c lib/aoe/*.c)
LIBNIMBUS := $(B)/libnimbus.a

$(LIBNIMBUS): $(call objs,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
