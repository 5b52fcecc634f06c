# storagenode/image: what role "storage" PXE-boots - Debian's kernel and an
# initramfs that is the whole system (docs/storage.md). Cached by its own
# stamp (build-image): an unchanged rebuild only hashes its inputs.
.PHONY: storage-image
storage-image: $(BIN)/aoetd $(BIN)/aoetctl $(BIN)/nimbus-storaged $(BIN)/aoe-bench
	./storagenode/image/build-image --out $(B)/images/storage --bin $(BIN)
