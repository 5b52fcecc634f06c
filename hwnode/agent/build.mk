# hwnode/agent: the hardware node's agent in dom0 (nimbus-hostd). The
# planner (host_plan.c) and the parsers of virsh's, xl's and sysfs's text
# (host_probe.c) are pure and table-tested; hostd_loop.c is the epoll loop,
# hostd.c the command line. host_cert.c makes the node's libvirt TLS key and
# request and checks and installs nimbusd's certificate (OpenSSL 3's
# libcrypto; the dom0 image has libssl3 already, through libcurl4).
#
# Shared, not copied: storagenode/agent/http.c (the non-blocking HTTP/1.0
# client) and storagenode/agent/child.c (one watched child process) are the
# storage agent's, compiled into nimbus-hostd as they are; so are
# hwnode/report/report_parse.c's parsers (xl info, the aoe driver's debugfs,
# boot.env). A change to any of them is a change to both agents.
#
# This file is included before hwnode/build.mk (sorted names), so it names
# the shared objects itself rather than through that file's variables.
HOSTD_SHARED_OBJS := $(call objs,storagenode/agent/http.c storagenode/agent/child.c \
	hwnode/report/report_parse.c)
# The codec of host_msg.h (lib/build.mk's HOST_MSG_OBJS; it brings
# storage_msg.o for the naming rules).
HOSTD_MSG_OBJS := $(or $(HOST_MSG_OBJS),$(call objs,lib/agent/host_msg.c) $(STORAGE_MSG_OBJS))
HOSTD_LOGIC_OBJS := $(call objs,hwnode/agent/host_plan.c hwnode/agent/host_probe.c)
HOSTD_CERT_OBJS := $(call objs,hwnode/agent/host_cert.c)
HOSTD_OWN_OBJS := $(call objs,hwnode/agent/hostd.c hwnode/agent/hostd_loop.c) $(HOSTD_LOGIC_OBJS) \
	$(HOSTD_CERT_OBJS)

$(HOSTD_OWN_OBJS): CFLAGS += -Istoragenode/agent -Ihwnode/report
$(eval $(call program,nimbus-hostd,$(HOSTD_OWN_OBJS) $(HOSTD_SHARED_OBJS) $(HOSTD_MSG_OBJS),-ljansson -lcrypto))

$(eval $(call unit_test,host_plan,$(call objs,hwnode/agent/host_plan.c),))
$(OBJ)/tests/unit/test_host_plan.o: CFLAGS += -Ihwnode/agent
$(eval $(call unit_test,host_probe,$(call objs,hwnode/agent/host_probe.c hwnode/report/report_parse.c) $(HOSTD_MSG_OBJS),-ljansson))
$(OBJ)/tests/unit/test_host_probe.o: CFLAGS += -Ihwnode/agent
$(eval $(call unit_test,host_cert,$(HOSTD_CERT_OBJS) $(HOSTD_MSG_OBJS),-ljansson -lcrypto))
$(OBJ)/tests/unit/test_host_cert.o: CFLAGS += -Ihwnode/agent

# The dom0 image carries nimbus-hostd next to nimbus-report
# (hwnode/build-image takes it from the report client's directory).
hwnode-image: $(BIN)/nimbus-hostd
