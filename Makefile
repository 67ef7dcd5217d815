# shade86: one non-recursive Makefile.  Run ./configure first.
#   make            build shade86 and the test programs
#   make check      run every test (unit tests, decoder vs capstone, sst286, guest programs,
#                   the translator vs the interpreter on random sequences)
#   make bench      benchmarks
#   make run        the demo guest (in a window when there is a display)
#   make run-linux  boot the Linux test image with a shell on the terminal
#   make demo       the small built-in demo program on the test machine
#   make check-linux  boot Linux (3 ways) and memtest86+ (slow); LINUX_ARGS="--engine interp"
#   make check-linux-lockstep  one Linux boot under --check-lockstep
#   make bench-guest  i386 programs natively, in shade86 and in QEMU (~10 min)
#   make bench-memcost  host-mapped windows vs inline lookups, ns per access (~1 min)
#   make fuzz-decoder N=...   longer decoder-vs-capstone run
#   make fuzz-fpu N=...       longer x87 and MMX/SSE/SSE2 vs host runs
#   make fuzz-bt N=...        longer translator vs interpreter runs (random sequences)

-include config.mk
ifeq ($(CC),)
$(error run ./configure first)
endif

B := build
WARN := -Wall -Wextra
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(DEFS) $(SAN) -I. $(USER_CFLAGS) -MMD -MP
LDFLAGS_ALL := $(SAN) $(USER_LDFLAGS)
NASM ?= nasm

CORE_SRCS := $(wildcard cpu/*.c) $(wildcard mmu/*.c) $(wildcard devices/*.c) $(wildcard bt/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
LIB := $(B)/libshade86.a

ROM_ASMS := $(wildcard roms/*.asm)
ROM_BINS := $(ROM_ASMS:roms/%.asm=$(B)/roms/%.bin)
GUEST_ASMS := $(wildcard tests/guest/*.asm)
GUEST_BINS := $(GUEST_ASMS:tests/guest/%.asm=$(B)/guest/%.bin)
PC_ASMS := $(wildcard tests/pc/*.asm)
PC_BINS := $(PC_ASMS:tests/pc/%.asm=$(B)/pc/%.bin)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/%.o)

PROGS := shade86 shade86-trace $(B)/trace-roundtrip tests/run-sst $(B)/decoder-diff $(B)/x87-diff $(B)/simd-diff $(B)/bt-fuzz $(B)/png-test $(B)/keymap-test
ifeq ($(HAVE_CHECK),yes)
PROGS += $(B)/unit-tests
endif

all: $(PROGS) $(GUEST_BINS) $(PC_BINS) $(ROM_BINS) $(B)/demo.img

$(B)/%.o: %.c config.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/roms/%.bin: roms/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

$(B)/guest/%.bin: tests/guest/%.asm $(wildcard tests/guest/*.inc)
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I tests/guest/ -o $@ $<

$(B)/pc/%.bin: tests/pc/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

# the built-in demo ROM, embedded as a C array by a small C tool
$(B)/bin2c: roms/bin2c.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -o $@ $<

# roms/NAME.asm -> the C array builtin_NAME_rom (and builtin_NAME_rom_len)
$(B)/builtin_%.c: $(B)/roms/%.bin $(B)/bin2c
	$(B)/bin2c builtin_$*_rom < $< > $@

# the ROMs the program carries inside it, and the demo guest's disk
BUILTIN_ROMS := demo linuxboot
BUILTIN_OBJS := $(BUILTIN_ROMS:%=$(B)/builtin_%.o) $(B)/builtin_demodisk.o

$(B)/builtin_demodisk.c: $(B)/demo.img $(B)/bin2c
	$(B)/bin2c builtin_demo_disk < $< > $@
FRONT_SRCS := $(wildcard frontends/*.c)
FRONT_OBJS := $(FRONT_SRCS:%.c=$(B)/%.o)

shade86: $(FRONT_OBJS) $(BUILTIN_OBJS) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ZLIB_LIBS) $(FRONT_LIBS) -lpthread

$(FRONT_OBJS): CFLAGS_ALL += $(ZLIB_CFLAGS)
# the SDL2 window (frontends/sdl.c compiles to stubs without it)
ifeq ($(HAVE_SDL),yes)
$(B)/frontends/sdl.o: CFLAGS_ALL += $(SDL_CFLAGS)
FRONT_LIBS := $(SDL_LIBS)
endif

# the trace reader (dump, stats, slice; capstone disassembly)
TRACE_TOOL_SRCS := $(wildcard frontends/trace/*.c)
TRACE_TOOL_OBJS := $(TRACE_TOOL_SRCS:%.c=$(B)/%.o)

shade86-trace: $(TRACE_TOOL_OBJS) $(B)/frontends/tracefile.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CAPSTONE_LIBS) $(ZLIB_LIBS) -lpthread

$(TRACE_TOOL_OBJS): CFLAGS_ALL += $(CAPSTONE_CFLAGS) $(ZLIB_CFLAGS)

# writer -> reader round trips for every record kind, truncated and corrupt files
$(B)/trace-roundtrip: $(B)/tests/trace-roundtrip.o $(B)/frontends/trace/traceread.o $(B)/frontends/tracefile.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ZLIB_LIBS) -lpthread

$(B)/tests/trace-roundtrip.o: CFLAGS_ALL += $(ZLIB_CFLAGS)

tests/run-sst: $(B)/tests/run-sst.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ZLIB_LIBS) -lpthread

$(B)/tests/run-sst.o: CFLAGS_ALL += $(ZLIB_CFLAGS)

$(B)/decoder-diff: $(B)/tests/decoder-diff.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CAPSTONE_LIBS) -lpthread

$(B)/tests/decoder-diff.o: CFLAGS_ALL += $(CAPSTONE_CFLAGS)

$(B)/png-test: $(B)/tests/png-test.o $(B)/frontends/png.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(ZLIB_LIBS)

$(B)/tests/png-test.o: CFLAGS_ALL += $(ZLIB_CFLAGS)

$(B)/keymap-test: $(B)/tests/keymap-test.o $(B)/frontends/keymap.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

$(B)/x87-diff: $(B)/tests/x87-diff.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

$(B)/simd-diff: $(B)/tests/simd-diff.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

BT_FUZZ_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard tests/bt-fuzz/*.c))

$(B)/bt-fuzz: $(BT_FUZZ_OBJS) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

$(B)/unit-tests: $(UNIT_OBJS) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) -lpthread

$(UNIT_OBJS): CFLAGS_ALL += $(CHECK_CFLAGS)

SST_DIR ?= tests/sst286
DIFF_COUNT ?= 2000000
X87_COUNT ?= 2000000
SIMD_COUNT ?= 2000000
BT_FUZZ_COUNT ?= 50000

check: all
	@echo "== decoder vs capstone (fixed seed)"
	$(B)/decoder-diff --mode 16 --count $(DIFF_COUNT) --seed 1
	$(B)/decoder-diff --mode 32 --count $(DIFF_COUNT) --seed 1
	@if [ -f /usr/share/seabios/bios.bin ]; then \
		$(B)/decoder-diff --mode 16 --file /usr/share/seabios/bios.bin && \
		$(B)/decoder-diff --mode 32 --file /usr/share/seabios/bios.bin; \
	else echo "decoder-diff: SeaBIOS not installed, skipped"; fi
	@if [ -f /usr/lib32/libc.so.6 ]; then \
		$(B)/decoder-diff --mode 32 --file /usr/lib32/libc.so.6; \
	else echo "decoder-diff: /usr/lib32/libc.so.6 not installed, skipped"; fi
	@echo "== x87 vs the host FPU (fixed seed)"
	$(B)/x87-diff --seed 1 --count $(X87_COUNT)
ifneq ($(SIMD_DIFF),no)
	@echo "== MMX/SSE/SSE2 vs the host (fixed seed)"
	$(B)/simd-diff --seed 1 --count $(SIMD_COUNT)
endif
	@echo "== built-in demo (known answers: pi(10000) = 1229, sum 5736396, F(40), CRC-32 check value)"
	./shade86 -machine test > $(B)/demo.out && cmp $(B)/demo.out tests/demo.expected && echo "demo: ok"
	@echo "== guest programs (translated)"
	sh tests/run-guest-tests.sh ./shade86 $(B)/guest
	@echo "== guest programs, every translated block checked against the interpreter"
	sh tests/run-guest-tests.sh ./shade86 $(B)/guest --check-lockstep
	@echo "== the same with a user window for every context at once (mmu/window.h)"
	SHADE86_BT_WINDOWS=0 sh tests/run-guest-tests.sh ./shade86 $(B)/guest
	SHADE86_BT_WINDOWS=0 sh tests/run-guest-tests.sh ./shade86 $(B)/guest --check-lockstep
	@echo "== the same with the code hosts without BMI2 get (flags saved around lookups)"
	SHADE86_BT_NO_BMI2=1 sh tests/run-guest-tests.sh ./shade86 $(B)/guest --check-lockstep
	@echo "== guest programs, interpreted"
	sh tests/run-guest-tests.sh ./shade86 $(B)/guest --engine interp
	@echo "== guest programs, every shadow MMU hit checked against a page walk"
	sh tests/run-guest-tests.sh ./shade86 $(B)/guest --check-mmu
	@echo "== the translator vs the interpreter on random instruction sequences (fixed seed)"
	$(B)/bt-fuzz --seed 1 --count $(BT_FUZZ_COUNT)
	SHADE86_BT_NO_BMI2=1 $(B)/bt-fuzz --seed 2 --count 10000
	SHADE86_BT_WINDOWS=0 $(B)/bt-fuzz --seed 4 --count 10000
	@echo "== host keys to PS/2 scancodes (vs the XT set 1 table, through the 8042)"
	$(B)/keymap-test
	@echo "== PNG writer (written, read back, compared)"
	$(B)/png-test $(B)
	@echo "== the PC: SeaBIOS, disks, serial, screen, exit statuses"
	sh tests/run-pc-tests.sh ./shade86 $(B)
	@echo "== tracing: the writer, the C and Python readers"
	sh tests/run-trace-tests.sh ./shade86 $(B)
	@echo "== the demo guest (roms/demo), headless"
	sh tests/run-demo-test.sh ./shade86 $(B)/demo.img
ifneq ($(DESKTOP_TEST),no)
	@echo "== the desktop window under Xvfb (skipped without xvfb, xdotool, imagemagick)"
	sh tests/run-desktop-test.sh ./shade86 $(B)/demo.img
endif
	@echo "== sst286 vectors"
	tests/run-sst $(SST_DIR)
ifeq ($(HAVE_CHECK),yes)
	@echo "== unit tests"
	CK_FORK=no $(B)/unit-tests
else
	@echo "unit tests not built: 'check' was not found by ./configure"; exit 1
endif

$(B)/native-loop: tests/bench/native-loop.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o $@ $<

$(B)/mmu-bench: $(B)/tests/bench/mmu-bench.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

# the translator's two memory designs measured on this machine (bt-memcost.c)
$(B)/bt-memcost: tests/bench/bt-memcost.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -o $@ $<

bench-memcost: $(B)/bt-memcost
	$(B)/bt-memcost

$(B)/bt-latency: $(B)/tests/bench/bt-latency.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -lpthread

bench: all $(B)/roms/bench.bin $(B)/native-loop $(B)/mmu-bench $(B)/bt-latency
	@echo "== translated and interpreted"
	sh tests/bench.sh ./shade86 $(B)
	$(B)/bt-latency $(B)/roms/bench.bin 1000
	@echo "== shadow MMU"
	$(B)/mmu-bench
	@echo "== tracing"
	sh tests/bench/trace.sh ./shade86 $(B)

# the Linux test image (roms/linux.mk, roms/mklinux.sh)
include roms/linux.mk
# the guest-benchmark image (roms/bench.mk, roms/mkbench.sh)
include roms/bench.mk
# the demo guest's disk image $(B)/demo.img (roms/demo.mk, roms/demo/)
include roms/demo.mk

# the demo guest, in a window when there is a display
run: shade86
	./shade86

# boot the Linux test image with an interactive shell on the terminal
run-linux: shade86 $(LINUX_OUT)/.stamp
	./shade86 -m 256 -kernel $(LINUX_OUT)/vmlinuz -initrd $(LINUX_OUT)/initrd.img \
		-append "console=ttyS0 cryptomgr.notests shade86.shell" -serial stdio -display none

$(LINUX_OUT)/.stamp: roms/mklinux.sh roms/linux-init.sh roms/mkcpio.c
	$(MAKE) linux-image

# the small built-in demo program on the test machine
demo: shade86
	./shade86 -machine test

# Linux boot time next to qemu-system-i386 (TCG), if installed
bench-linux: shade86 $(LINUX_OUT)/.stamp
	sh tests/bench/boot-linux.sh ./shade86 $(LINUX_OUT) $(or $(RUNS),1)

# the same i386 programs natively, in shade86 and in qemu-system-i386 (TCG)
bench-guest: shade86 $(BENCH_OUT)/.stamp
	bash tests/bench/guest.sh ./shade86 $(BENCH_OUT)

# Linux and memtest86+ boots (minutes each on the interpreter)
check-linux: all $(LINUX_OUT)/.stamp
	sh tests/run-linux-tests.sh ./shade86 $(LINUX_OUT) $(LINUX_ARGS)

# one Linux boot with every translated block checked against the interpreter
check-linux-lockstep: all $(LINUX_OUT)/.stamp
	LINUX_TESTS=one sh tests/run-linux-tests.sh ./shade86 $(LINUX_OUT) --check-lockstep

N ?= 20000000
fuzz-decoder: $(B)/decoder-diff
	$(B)/decoder-diff --mode 16 --count $(N) --seed $$(date +%s)
	$(B)/decoder-diff --mode 32 --count $(N) --seed $$(date +%s)

fuzz-fpu: $(B)/x87-diff $(B)/simd-diff
	$(B)/x87-diff --count $(N) --seed $$(date +%s)
	$(B)/simd-diff --count $(N) --seed $$(date +%s)

# cases, not instructions: N from the command line, else 200000 (minutes)
BT_FUZZ_N := $(if $(filter command line environment,$(origin N)),$(N),200000)
fuzz-bt: $(B)/bt-fuzz
	$(B)/bt-fuzz --count $(BT_FUZZ_N) --seed $$(date +%s)

clean:
	rm -rf $(B) shade86 shade86-trace tests/run-sst

distclean: clean
	rm -f config.mk config.h

.PHONY: all check check-linux check-linux-lockstep bench bench-linux bench-guest bench-memcost run run-linux demo fuzz-decoder fuzz-fpu fuzz-bt clean distclean

-include $(shell find $(B) \( -path $(B)/linux -o -path $(B)/bench \) -prune -o -name '*.d' -type f -print 2>/dev/null)
