# The guest-benchmark image of `make bench-guest` in $(BENCH_OUT): the Linux
# test image's kernel, Debian's i386 gzip, bzip2, xz, sha256sum and glibc,
# and tests/bench/{benchrun,mkcorpus,intmark,kbench}.c built -m32.  Included
# from the top-level Makefile after roms/linux.mk; see roms/mkbench.sh.
BENCH_SAVED_GOAL := $(.DEFAULT_GOAL)
BENCH_OUT ?= build/bench
BENCH_ROMS := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: bench-image bench-image-deps
bench-image: $(LINUX_OUT)/.stamp
	bash $(BENCH_ROMS)/mkbench.sh $(BENCH_OUT) $(LINUX_OUT)

# host packages the image build needs besides those of linux-image-deps
bench-image-deps:
	@bash $(BENCH_ROMS)/mkbench.sh --print-deps

$(BENCH_OUT)/.stamp: $(LINUX_OUT)/.stamp $(BENCH_ROMS)/mkbench.sh $(BENCH_ROMS)/bench-init.sh \
		$(BENCH_ROMS)/mkcpio.c tests/bench/benchrun.c tests/bench/mkcorpus.c \
		tests/bench/intmark.c tests/bench/kbench.c
	bash $(BENCH_ROMS)/mkbench.sh $(BENCH_OUT) $(LINUX_OUT)

# including this file must not change the including Makefile's default goal
.DEFAULT_GOAL := $(BENCH_SAVED_GOAL)
