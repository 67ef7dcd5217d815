# Linux guest test images (Debian i386 kernel + busybox initramfs, syslinux
# disk, memtest86+) in $(LINUX_OUT).  Included from the top-level Makefile;
# see roms/README-linux.md.  Needs network on the first run only.
LINUX_SAVED_GOAL := $(.DEFAULT_GOAL)
LINUX_OUT ?= build/linux
LINUX_ROMS := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: linux-image linux-image-deps
linux-image:
	bash $(LINUX_ROMS)/mklinux.sh $(LINUX_OUT)

# host packages the image build needs (CI: apt-get install $$(make -s linux-image-deps))
linux-image-deps:
	@bash $(LINUX_ROMS)/mklinux.sh --print-deps

# including this file must not change the including Makefile's default goal
.DEFAULT_GOAL := $(LINUX_SAVED_GOAL)
