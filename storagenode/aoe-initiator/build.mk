# storagenode/aoe-initiator: aoe-bench, the userspace AoE initiator used by
# the integration tests and the benchmark, and its unit test.
AOE_INITIATOR_OBJS := $(call objs,$(addprefix storagenode/aoe-initiator/,\
	initiator.c ini_engine.c pattern.c args.c reflect.c))
AOE_BENCH_OBJS := $(call objs,$(addprefix storagenode/aoe-initiator/,\
	aoe-bench.c bench_common.c cmd_io.c cmd_admin.c cmd_raw.c))

$(eval $(call program,aoe-bench,$(AOE_BENCH_OBJS) $(AOE_INITIATOR_OBJS),))
$(eval $(call unit_test,initiator,$(AOE_INITIATOR_OBJS),-lpthread))
