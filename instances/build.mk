# instances/: Xen PVH guests (domU). For now the instance image, the
# template of an instance's disk, and the kernel and initramfs it boots
# with, under build/instances/ (see docs/instances.md):
#   guest-root.img  raw ext4 root, /dev/xvda in the guest (debootstrap cache
#                   in /var/cache/nimbus/instance; rebuilt when its stamp
#                   changes)
#   initrd.gz       the guest initramfs (cached by its own stamp)
#   vmlinuz         a copy of the host's kernel, booted as a PVH domU
.PHONY: instance-image
instance-image:
	./instances/build-image --out $(B)/instances/guest-root.img
	./instances/mkinitramfs --out $(B)/instances/initrd.gz
