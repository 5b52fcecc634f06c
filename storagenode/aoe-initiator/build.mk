# storagenode/aoe-initiator: aoe-bench, the userspace AoE initiator used by
# the integration tests and the benchmark, and its unit test.
AOE_INITIATOR_OBJS := $(call objs,$(addprefix storagenode/aoe-initiator/,\
	initiator.c pattern.c args.c reflect.c))

$(eval $(call program,aoe-bench,$(call objs,storagenode/aoe-initiator/aoe-bench.c) $(AOE_INITIATOR_OBJS),))
$(eval $(call unit_test,initiator,$(AOE_INITIATOR_OBJS),))
