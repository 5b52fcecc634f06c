# tests/fuzz/fuzz.mk - clang libFuzzer targets, built apart from the gcc tree.
#
#   make -f tests/fuzz/fuzz.mk               build every tests/fuzz/fuzz_*.c
#   make -f tests/fuzz/fuzz.mk run           ... and run each FUZZ_SECONDS
#   make -f tests/fuzz/fuzz.mk run FUZZERS=aoe_frame FUZZ_SECONDS=20
#
# Each harness tests/fuzz/fuzz_NAME.c is linked with every lib/ source
# (compiled here with clang and the sanitizers, into $(FB)/) and with the
# extra sources it declares below as FUZZ_SRCS_NAME (plus include flags in
# FUZZ_INC_NAME and libraries in FUZZ_LIBS_NAME). Corpora grow in
# $(FB)/corpus/NAME; seeds in tests/fuzz/corpus/NAME are read too when that
# directory exists. A crash leaves its input in $(FB)/ (crash-*) and makes
# `run` fail. tests/integration/fuzz_smoke.sh runs every harness briefly
# under `make check`.

FB           ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ilib -Wall -Wextra \
		-fno-omit-frame-pointer $(FUZZ_SAN)

FUZZ_LIB_SRCS := $(wildcard lib/*.c lib/aoe/*.c)

# --- per-harness extra sources (one line each) -------------------------------
FUZZ_SRCS_aoe_frame := $(addprefix storagenode/aoe-target/,target.c \
	target_ata.c target_identify.c target_cfg.c target_lists.c)
FUZZ_INC_aoe_frame  := -Istoragenode/aoe-target
FUZZ_SRCS_aoetd_config := storagenode/aoe-target/config.c
FUZZ_INC_aoetd_config  := -Istoragenode/aoe-target
FUZZ_SRCS_provision := confignode/gen_dhcp.c confignode/gen_pxe.c confignode/prov_validate.c \
	confignode/dhcp_omapi.c confignode/provision.c confignode/prov_exec.c confignode/validate.c
FUZZ_SRCS_initiator := storagenode/aoe-initiator/reflect.c storagenode/aoe-initiator/args.c storagenode/aoe-initiator/initiator.c storagenode/aoe-initiator/ini_engine.c
FUZZ_INC_initiator  := -Istoragenode/aoe-initiator
FUZZ_SRCS_import_progress := confignode/import_progress.c
FUZZ_INC_import_progress := -Iconfignode
FUZZ_SRCS_nimbusd_config := confignode/config.c confignode/validate.c
FUZZ_SRCS_nimbusd_report := confignode/api.c confignode/api_nodes.c confignode/api_images.c \
	confignode/api_report.c confignode/db.c confignode/config.c confignode/validate.c \
	confignode/node_state.c confignode/gen_dhcp.c confignode/gen_pxe.c \
	confignode/prov_validate.c confignode/dhcp_omapi.c confignode/provision.c \
	confignode/prov_exec.c confignode/prov_queue.c confignode/prov_txn.c
FUZZ_LIBS_nimbusd_report := -lsqlite3 -ljansson -lcrypto
FUZZ_STORAGE_API_SRCS := confignode/api_storage.c confignode/api_pairs.c \
	confignode/api_volumes.c confignode/api_storage_node.c \
	confignode/db_storage.c confignode/storage_logic.c confignode/size_units.c \
	confignode/gen_drbd.c confignode/storage_wait.c confignode/import_progress.c \
	lib/agent/storage_msg.c confignode/api_host.c confignode/api_instances.c \
	confignode/db_instance.c confignode/host_logic.c confignode/gen_domain.c \
	lib/agent/host_msg.c confignode/tls_ca.c
FUZZ_SRCS_nimbusd_report += $(FUZZ_STORAGE_API_SRCS)
FUZZ_SRCS_storage_api := $(FUZZ_SRCS_nimbusd_report)
FUZZ_LIBS_storage_api := -lsqlite3 -ljansson -lcrypto
FUZZ_SRCS_host_api := $(FUZZ_SRCS_nimbusd_report)
FUZZ_LIBS_host_api := $(FUZZ_LIBS_storage_api)
FUZZ_SRCS_hwnode_report := hwnode/report/report_parse.c hwnode/report/report_json.c
FUZZ_INC_hwnode_report  := -Ihwnode/report
FUZZ_LIBS_hwnode_report := -ljansson
FUZZ_SRCS_storage_msg := lib/agent/storage_msg.c
FUZZ_LIBS_storage_msg := -ljansson
FUZZ_SRCS_host_msg := lib/agent/host_msg.c lib/agent/storage_msg.c
FUZZ_LIBS_host_msg := -ljansson
FUZZ_SRCS_storage_disks := storagenode/agent/disks.c
FUZZ_INC_storage_disks  := -Istoragenode/agent
FUZZ_SRCS_storage_procdrbd := storagenode/agent/procdrbd.c lib/agent/storage_msg.c
FUZZ_INC_storage_procdrbd  := -Istoragenode/agent
FUZZ_LIBS_storage_procdrbd := -ljansson
FUZZ_SRCS_storage_agent := storagenode/agent/http.c storagenode/agent/lvs.c
FUZZ_INC_storage_agent  := -Istoragenode/agent

# ------------------------------------------------------------------------------
ALL_FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZERS     ?= $(ALL_FUZZERS)

fobjs = $(patsubst %.c,$(FB)/obj/%.o,$(1))

.PHONY: all run clean
.SECONDEXPANSION:
.SECONDARY:

all: $(addprefix $(FB)/fuzz_,$(FUZZERS))

# Code under test: coverage instrumentation without libFuzzer's main.
$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c -o $@ $<

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c $(call fobjs,$(FUZZ_LIB_SRCS)) \
		$$(call fobjs,$$(FUZZ_SRCS_$$*))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC_$*) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS_$*)

# A changed header rebuilds the objects that include it (a struct that grew
# must not meet objects compiled against its old size).
-include $(shell find $(FB)/obj -name '*.d' 2>/dev/null)

run: all
	@set -e; for f in $(FUZZERS); do \
		mkdir -p $(FB)/corpus/$$f; \
		seeds=; [ -d tests/fuzz/corpus/$$f ] && seeds=tests/fuzz/corpus/$$f; \
		echo "fuzz_$$f: $(FUZZ_SECONDS) s"; \
		$(FB)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FB)/ $(FB)/corpus/$$f $$seeds; \
	done

clean:
	rm -rf $(FB)
