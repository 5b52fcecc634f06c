# hwnode/: the hardware nodes' dom0 - report client, initramfs and root image.

HWREPORT_LOGIC_OBJS := $(call objs,hwnode/report/report_parse.c hwnode/report/report_json.c)
$(eval $(call program,nimbus-report,$(call objs,hwnode/report/nimbus-report.c) $(HWREPORT_LOGIC_OBJS),-lcurl -ljansson))
$(eval $(call unit_test,hwnode_report,$(HWREPORT_LOGIC_OBJS),-ljansson))
$(OBJ)/tests/unit/test_hwnode_report.o: CFLAGS += -Ihwnode/report

# The boot files of a hardware node, under build/hwnode/: our initramfs
# (cached by its own stamp), the dom0 root image (debootstrap cache in
# /var/cache/nimbus; see docs/hwnode.md; it carries the instances' kernel and
# initramfs, instances/mkinitramfs) and copies of the Xen hypervisor
# and dom0 kernel that PXE serves next to them.
.PHONY: hwnode-image hwnode-initramfs
hwnode-initramfs:
	./hwnode/mkinitramfs --out $(B)/hwnode/initrd.gz
hwnode-image: $(BIN)/nimbus-report hwnode-initramfs
	./instances/mkinitramfs --out $(B)/instances/initrd.gz
	./hwnode/build-image --out $(B)/hwnode/dom0-root.img --report-bin $(BIN)/nimbus-report \
		--guest-dir $(B)/instances
	./hwnode/boot-files --out $(B)/hwnode
