/* shade86 demo guest: the kernel.
 *
 * Entered from boot.asm in 32-bit protected mode (flat segments, interrupts
 * off, mode 13h set, the BIOS 8x8 font at 0x1000).  It builds a GDT with ring
 * 0 and ring 3 segments and a TSS, an IDT (exceptions report on COM1 and
 * halt; the 8259A pair remapped to 0x20-0x2F; INT 0x80 for the tasks), page
 * tables identity-mapping the first MiB (page 0 absent, the kernel
 * supervisor-only, the user tasks' pages and the frame buffer user
 * accessible), programs the PIT at HZ and runs the user tasks of user.c at
 * CPL 3, round robin, one switch per PIT tick.  Each task has its own kernel
 * stack (TSS.ESP0 follows the running task) and its own FPU state, switched
 * lazily: a switch sets CR0.TS and the first FPU instruction of the new
 * task (#NM) saves the previous owner's state with FXSAVE and loads its own.
 * When every task sleeps the kernel's own context, the idle task, halts.
 *
 * Keys (IRQ1, scancode set 1) and bytes from COM1 (IRQ4) are echoed in the
 * text line at the bottom of the screen and on COM1 as "demo: key 'a'".
 * Each second COM1 gets "demo: uptime N s, ticks T, switches S, keys K".
 * A PS/2 mouse (IRQ12) moves an arrow cursor; button changes are reported
 * on COM1.
 */
#include "demo.h"

#define NUSER 3
#define IDLE NUSER                   /* tasks[IDLE]: kmain's own context */
#define KSTACK 4096
#define FONT ((const u8 *)0x1000)

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS 0x28

#define COM1 0x3f8

/* what entry.asm's isr_common pushes, lowest address first */
struct frame {
	u32 gs, fs, es, ds;
	u32 edi, esi, ebp, esp_pushad, ebx, edx, ecx, eax;
	u32 vec, err;
	u32 eip, cs, eflags;
	u32 esp, ss;                 /* only when coming from CPL 3 */
};

enum task_state { TASK_RUNNABLE, TASK_SLEEPING };

struct task {
	struct frame *frame;         /* saved when the task is not running */
	u32 kstack_top;
	u32 wake_tick;
	enum task_state state;
	const char *name;
};

struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
};

struct gate {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
};

struct __attribute__((packed)) table_reg {
	u16 limit;
	u32 base;
};

extern const u32 isr_table[48];
extern const u32 isr_syscall_entry;
extern u8 __user_text_start[], __user_data_start[], __user_end[];

/* user.c */
void task_plasma(void);
void task_cube(void);
void task_mandel(void);
extern u8 user_stacks[NUSER][4096];

struct kernel {
	struct task tasks[NUSER + 1];
	int cur;                     /* index into tasks */
	int fpu_owner;               /* whose state the FPU holds (-1: none yet) */
	int have_fxsr;
	u32 ticks, switches, keys, fpu_switches;
	int shift;
	int user_seen;
	char line[37];
	int line_len;
	u8 mouse_pkt[3];
	int mouse_n;                 /* bytes of the packet so far */
	int mouse_x, mouse_y, mouse_buttons;
	int mouse_moved;             /* the cursor appears once the mouse moves */
	int cursor_shown, cursor_x, cursor_y;   /* where the cursor is drawn */
	u8 under[11][8];             /* what the cursor covers */
};

static struct kernel K;
static u32 gdt[6][2];
static struct tss tss;
static struct gate idt[256];
static u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 page_tab[1024] __attribute__((aligned(4096)));
static u8 kstacks[NUSER][KSTACK] __attribute__((aligned(16)));
static u8 fpu_state[NUSER + 1][512] __attribute__((aligned(16)));

/* ---- small things ------------------------------------------------------- */

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* gcc may call these for struct copies and loops, even freestanding */
void *memset(void *d, int c, u32 n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, u32 n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- COM1, polled output ------------------------------------------------ */

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);        /* no interrupts while we set it up */
	outb(COM1 + 3, 0x80);        /* DLAB */
	outb(COM1 + 0, 1);           /* 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);        /* 8N1 */
	outb(COM1 + 2, 0xc7);        /* FIFOs on and cleared, 14-byte trigger */
	outb(COM1 + 4, 0x0b);        /* DTR, RTS, OUT2 (the IRQ line to the PIC) */
	while (inb(COM1 + 5) & 1)
		inb(COM1);
	outb(COM1 + 1, 0x01);        /* IRQ4 on received data */
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (u8)c);
}

static void puts_serial(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_serial('\r');
		putc_serial(*s++);
	}
}

/* decimal without 64-bit division: u32 / 10 is a single DIV */
static char *fmt_dec(char *p, u32 v)
{
	char tmp[12];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	*p = 0;
	return p;
}

static char *fmt_hex(char *p, u32 v)
{
	for (int i = 28; i >= 0; i -= 4)
		*p++ = "0123456789abcdef"[(v >> i) & 15];
	*p = 0;
	return p;
}

static char *fmt_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	*p = 0;
	return p;
}

/* ---- the screen --------------------------------------------------------- */

static void fill_rect(int x, int y, int w, int h, u8 c)
{
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			VGA_MEM[(y + j) * SCREEN_W + x + i] = c;
}

static void draw_char(int x, int y, char ch, u8 fg, u8 bg)
{
	const u8 *g = FONT + ((u8)ch & 0x7f) * 8;
	for (int j = 0; j < 8; j++)
		for (int i = 0; i < 8; i++)
			VGA_MEM[(y + j) * SCREEN_W + x + i] = (g[j] & (0x80 >> i)) ? fg : bg;
}

/* foreground pixels only, clipped to the screen */
static void draw_text_over(int x, int y, const char *s, u8 fg)
{
	for (; *s && x <= SCREEN_W - 8 && y >= 0 && y <= SCREEN_H - 8; s++, x += 8) {
		const u8 *g = FONT + ((u8)*s & 0x7f) * 8;
		for (int j = 0; j < 8; j++)
			for (int i = 0; i < 8; i++)
				if (g[j] & (0x80 >> i))
					VGA_MEM[(y + j) * SCREEN_W + x + i] = fg;
	}
}

static int draw_text(int x, int y, const char *s, u8 fg, u8 bg)
{
	for (; *s && x <= SCREEN_W - 8; s++, x += 8)
		draw_char(x, y, *s, fg, bg);
	return x;
}

/* 6-bit DAC values; a triangle wave for the rainbow */
static u8 tri64(int i)
{
	i &= 63;
	return (u8)(i < 32 ? i * 2 : (63 - i) * 2);
}

static void set_rgb(int idx, int r, int g, int b)
{
	outb(0x3c8, (u8)idx);
	outb(0x3c9, (u8)r);
	outb(0x3c9, (u8)g);
	outb(0x3c9, (u8)b);
}

static void palette_init(void)
{
	static const u8 ui[8][3] = {
		{ 0, 0, 0 }, { 4, 8, 24 }, { 63, 63, 63 }, { 42, 42, 42 },
		{ 63, 58, 10 }, { 20, 58, 63 }, { 8, 8, 12 }, { 20, 60, 20 },
	};
	for (int i = 0; i < 8; i++)
		set_rgb(i, ui[i][0], ui[i][1], ui[i][2]);
	for (int i = 0; i < 64; i++)
		set_rgb(COL_PLASMA + i, tri64(i), tri64(i + 21), tri64(i + 42));
	for (int i = 0; i < 64; i++) {
		/* deep blue -> cyan -> white -> orange -> dark red */
		int r, g, b;
		if (i < 16)
			r = 0, g = i * 2, b = 16 + i * 3;
		else if (i < 32)
			r = (i - 16) * 4, g = 32 + (i - 16) * 2, b = 63;
		else if (i < 48)
			r = 63, g = 63 - (i - 32) * 2, b = 63 - (i - 32) * 4;
		else
			r = 63 - (i - 48) * 2, g = 31 - (i - 48) * 2, b = 0;
		set_rgb(COL_MANDEL + i, r, g, b);
	}
	for (int i = 0; i < 16; i++)
		set_rgb(COL_CUBE + i, 12 + i * 3, 30 + i * 2, 21 + i * 14 / 5);
	set_rgb(COL_CUBEBG, 3, 2, 8);
}

static void draw_status(void)
{
	char buf[48], *p = buf;
	p = fmt_str(p, "up ");
	p = fmt_dec(p, K.ticks / HZ);
	p = fmt_str(p, "s  sw ");
	p = fmt_dec(p, K.switches);
	p = fmt_str(p, "  keys ");
	p = fmt_dec(p, K.keys);
	p = fmt_str(p, "   ");
	draw_text(112, 1, buf, COL_WHITE, COL_BAR);
}

static void draw_line(void)
{
	int x = draw_text(8, TEXT_Y + 4, "> ", COL_YELLOW, COL_TEXTBG);
	x = draw_text(x, TEXT_Y + 4, K.line, COL_WHITE, COL_TEXTBG);
	draw_char(x, TEXT_Y + 4, '_', COL_CYAN, COL_TEXTBG);
	fill_rect(x + 8, TEXT_Y + 4, SCREEN_W - 8 - (x + 8), 8, COL_TEXTBG);
}

static void screen_init(void)
{
	fill_rect(0, 0, SCREEN_W, SCREEN_H, COL_BLACK);
	fill_rect(0, BAR_Y, SCREEN_W, BAR_H, COL_BAR);
	draw_text(4, 1, "shade86 demo", COL_YELLOW, COL_BAR);
	fill_rect(0, TEXT_Y - 2, SCREEN_W, 1, COL_GREY);
	fill_rect(0, TEXT_Y, SCREEN_W, TEXT_H, COL_TEXTBG);
	draw_status();
	draw_line();
}

/* ---- descriptors and paging --------------------------------------------- */

static void set_seg(int i, u32 base, u32 limit, u32 access, u32 flags)
{
	gdt[i][0] = (limit & 0xffff) | (base & 0xffff) << 16;
	gdt[i][1] = ((base >> 16) & 0xff) | access << 8 | (limit & 0xf0000) |
		    flags << 20 | (base & 0xff000000);
}

static void gdt_init(void)
{
	set_seg(1, 0, 0xfffff, 0x9a, 0xc);   /* ring 0 code */
	set_seg(2, 0, 0xfffff, 0x92, 0xc);   /* ring 0 data */
	set_seg(3, 0, 0xfffff, 0xfa, 0xc);   /* ring 3 code */
	set_seg(4, 0, 0xfffff, 0xf2, 0xc);   /* ring 3 data */
	set_seg(5, (u32)&tss, sizeof(tss) - 1, 0x89, 0);   /* 32-bit TSS */
	tss.ss0 = SEL_KDATA;
	tss.iomap = sizeof(tss);     /* no I/O bitmap: CPL 3 gets no ports */
	struct table_reg r = { sizeof(gdt) - 1, (u32)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\tmov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\tmov %%ax, %%ss\n\t"
			 "ltr %w1"
			 : : "m"(r), "r"(SEL_TSS) : "eax", "memory");
}

static void set_gate(int v, u32 off, u8 type)
{
	idt[v].off_lo = (u16)off;
	idt[v].sel = SEL_KCODE;
	idt[v].zero = 0;
	idt[v].type = type;
	idt[v].off_hi = (u16)(off >> 16);
}

static void idt_init(void)
{
	for (int v = 0; v < 48; v++)
		set_gate(v, isr_table[v], 0x8e);      /* interrupt gate, DPL 0 */
	set_gate(0x80, isr_syscall_entry, 0xee);   /* DPL 3: INT 0x80 from CPL 3 */
	struct table_reg r = { sizeof(idt) - 1, (u32)idt };
	__asm__ volatile("lidt %0" : : "m"(r));
}

#define PG_P 1u
#define PG_W 2u
#define PG_U 4u

static void paging_init(void)
{
	u32 ut = (u32)__user_text_start, ud = (u32)__user_data_start, ue = (u32)__user_end;
	for (u32 i = 1; i < 256; i++) {      /* page 0 stays absent */
		u32 a = i << 12, f = PG_P | PG_W;
		if (a >= ut && a < ud)
			f = PG_P | PG_U;             /* user code, read-only */
		else if ((a >= ud && a < ue) || (a >= 0xa0000 && a < 0xb0000))
			f = PG_P | PG_W | PG_U;
		page_tab[i] = a | f;
	}
	page_dir[0] = (u32)page_tab | PG_P | PG_W | PG_U;
	__asm__ volatile("mov %0, %%cr3\n\t"
			 "mov %%cr0, %%eax\n\t"
			 "or $0x80010000, %%eax\n\t"   /* PG, WP */
			 "mov %%eax, %%cr0"
			 : : "r"(page_dir) : "eax", "memory");
}

/* CR0: MP, NE on, EM off; CR4.OSFXSR if CPUID says FXSR */
static void fpu_init(void)
{
	u32 a = 1, b, c, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	K.have_fxsr = (d >> 24) & 1;
	__asm__ volatile("mov %%cr0, %%eax\n\t"
			 "and $~4, %%eax\n\t"
			 "or $0x22, %%eax\n\t"
			 "mov %%eax, %%cr0\n\t"
			 "fninit" : : : "eax");
	if (K.have_fxsr)
		__asm__ volatile("mov %%cr4, %%eax\n\t"
				 "or $0x200, %%eax\n\t"
				 "mov %%eax, %%cr4" : : : "eax");
	/* every task starts from the state FNINIT left */
	for (int i = 0; i <= NUSER; i++) {
		if (K.have_fxsr)
			__asm__ volatile("fxsave %0" : "=m"(fpu_state[i]));
		else
			__asm__ volatile("fnsave %0\n\tfrstor %0" : "=m"(fpu_state[i]));
	}
	K.fpu_owner = -1;
	__asm__ volatile("mov %%cr0, %%eax\n\tor $8, %%eax\n\tmov %%eax, %%cr0" : : : "eax");
}

/* #NM: the running task's first FPU instruction since it was switched in */
static void fpu_switch(void)
{
	__asm__ volatile("clts");
	if (K.fpu_owner == K.cur)
		return;
	if (K.have_fxsr) {
		if (K.fpu_owner >= 0)
			__asm__ volatile("fxsave %0" : "=m"(fpu_state[K.fpu_owner]));
		__asm__ volatile("fxrstor %0" : : "m"(fpu_state[K.cur]));
	} else {
		if (K.fpu_owner >= 0)
			__asm__ volatile("fnsave %0" : "=m"(fpu_state[K.fpu_owner]));
		__asm__ volatile("frstor %0" : : "m"(fpu_state[K.cur]));
	}
	K.fpu_owner = K.cur;
	K.fpu_switches++;
}

/* ---- the 8259A pair, the PIT -------------------------------------------- */

static void pic_init(void)
{
	outb(0x20, 0x11);            /* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, 0x20);            /* ICW2: IRQ0-7 at 0x20, IRQ8-15 at 0x28 */
	outb(0xa1, 0x28);
	outb(0x21, 0x04);            /* ICW3: the slave on IRQ2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);            /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, (u8)~(1 << 0 | 1 << 1 | 1 << 2 | 1 << 4));   /* PIT, keyboard, cascade, COM1 */
	outb(0xa1, (u8)~(1 << 4));      /* IRQ12: the mouse */
}

static void pit_init(void)
{
	u32 div = (1193182 + HZ / 2) / HZ;
	outb(0x43, 0x34);            /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, (u8)div);
	outb(0x40, (u8)(div >> 8));
}

static void eoi(u32 vec)
{
	if (vec >= 0x28)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* ---- the PS/2 mouse on the 8042's auxiliary port ------------------------ */

/* bounded waits: a missing mouse must not hang the boot */
static int kbc_wait_write(void)
{
	for (int i = 0; i < 100000; i++)
		if (!(inb(0x64) & 2))
			return 0;
	return -1;
}

static int kbc_read(u8 *v)
{
	for (int i = 0; i < 100000; i++)
		if (inb(0x64) & 1) {
			*v = inb(0x60);
			return 0;
		}
	return -1;
}

static int mouse_cmd(u8 cmd)
{
	u8 ack;
	kbc_wait_write();
	outb(0x64, 0xd4);            /* the next data byte goes to the mouse */
	kbc_wait_write();
	outb(0x60, cmd);
	return kbc_read(&ack) || ack != 0xfa ? -1 : 0;
}

static void mouse_init(void)
{
	u8 cfg;
	kbc_wait_write();
	outb(0x64, 0xa8);            /* enable the auxiliary port */
	kbc_wait_write();
	outb(0x64, 0x20);            /* read the command byte */
	if (kbc_read(&cfg))
		return;
	cfg = (u8)((cfg | 0x02) & ~0x20);   /* IRQ12 on, aux clock on */
	kbc_wait_write();
	outb(0x64, 0x60);
	kbc_wait_write();
	outb(0x60, cfg);
	if (mouse_cmd(0xf6) || mouse_cmd(0xf4))   /* defaults, then streaming */
		puts_serial("demo: no PS/2 mouse\n");
	K.mouse_x = SCREEN_W / 2;
	K.mouse_y = SCREEN_H / 2;
}

static const char *const cursor_shape[11] = {
	"X       ", "XX      ", "XWX     ", "XWWX    ", "XWWWX   ", "XWWWWX  ",
	"XWWWWWX ", "XWWXXXX ", "XWX     ", "XX      ", "X       ",
};

/* Once a tick: put back what the cursor covered, then draw it at the
 * mouse's place.  The tasks repaint under it meanwhile; the pixels put back
 * can be a frame old, the next frame covers them. */
static void cursor_update(void)
{
	if (K.cursor_shown)
		for (int j = 0; j < 11; j++)
			for (int i = 0; i < 8; i++)
				if (cursor_shape[j][i] != ' ' && K.cursor_x + i < SCREEN_W && K.cursor_y + j < SCREEN_H)
					VGA_MEM[(K.cursor_y + j) * SCREEN_W + K.cursor_x + i] = K.under[j][i];
	K.cursor_shown = 1;
	K.cursor_x = K.mouse_x;
	K.cursor_y = K.mouse_y;
	for (int j = 0; j < 11; j++)
		for (int i = 0; i < 8; i++) {
			char c = cursor_shape[j][i];
			if (c == ' ' || K.cursor_x + i >= SCREEN_W || K.cursor_y + j >= SCREEN_H)
				continue;
			volatile u8 *p = &VGA_MEM[(K.cursor_y + j) * SCREEN_W + K.cursor_x + i];
			K.under[j][i] = *p;
			*p = c == 'X' ? COL_BLACK : COL_WHITE;
		}
}

static void mouse(void)
{
	if ((inb(0x64) & 0x21) != 0x21)
		return;
	u8 b = inb(0x60);
	if (K.mouse_n == 0 && !(b & 0x08))
		return;                      /* not a first byte: resynchronise */
	K.mouse_pkt[K.mouse_n++] = b;
	if (K.mouse_n < 3)
		return;
	K.mouse_n = 0;
	u8 b0 = K.mouse_pkt[0];
	int dx = K.mouse_pkt[1] - ((b0 << 4) & 0x100);
	int dy = K.mouse_pkt[2] - ((b0 << 3) & 0x100);
	K.mouse_x += dx;
	K.mouse_y -= dy;
	if (K.mouse_x < 0)
		K.mouse_x = 0;
	if (K.mouse_x > SCREEN_W - 1)
		K.mouse_x = SCREEN_W - 1;
	if (K.mouse_y < 0)
		K.mouse_y = 0;
	if (K.mouse_y > SCREEN_H - 1)
		K.mouse_y = SCREEN_H - 1;
	K.mouse_moved = 1;
	if ((b0 & 7) != K.mouse_buttons) {
		char buf[64], *p = buf;
		K.mouse_buttons = b0 & 7;
		p = fmt_str(p, "demo: mouse buttons ");
		p = fmt_dec(p, (u32)K.mouse_buttons);
		p = fmt_str(p, " at ");
		p = fmt_dec(p, (u32)K.mouse_x);
		p = fmt_str(p, ",");
		p = fmt_dec(p, (u32)K.mouse_y);
		p = fmt_str(p, "\n");
		puts_serial(buf);
	}
}

/* ---- tasks -------------------------------------------------------------- */

static void task_create(int i, const char *name, void (*entry)(void))
{
	struct task *t = &K.tasks[i];
	t->name = name;
	t->kstack_top = (u32)kstacks[i] + KSTACK;
	t->state = TASK_RUNNABLE;
	struct frame *f = (struct frame *)(t->kstack_top - sizeof(struct frame));
	memset(f, 0, sizeof(*f));
	f->gs = f->fs = f->es = f->ds = SEL_UDATA;
	f->eip = (u32)entry;
	f->cs = SEL_UCODE;
	f->eflags = 0x202;           /* IF */
	f->esp = (u32)user_stacks[i] + sizeof(user_stacks[i]) - 16;
	f->ss = SEL_UDATA;
	t->frame = f;
}

/* Save the interrupted context, pick the next runnable user task after the
 * current one (the idle context when none is), return its frame. */
static struct frame *schedule(struct frame *f)
{
	K.tasks[K.cur].frame = f;
	int start = K.cur == IDLE ? NUSER - 1 : K.cur, next = IDLE;
	for (int i = 1; i <= NUSER; i++) {
		int k = (start + i) % NUSER;
		if (K.tasks[k].state == TASK_RUNNABLE) {
			next = k;
			break;
		}
	}
	if (next != K.cur) {
		K.switches++;
		K.cur = next;
		tss.esp0 = K.tasks[next].kstack_top;
		/* the FPU stays with its owner until the new task uses it (#NM) */
		__asm__ volatile("mov %%cr0, %%eax\n\tor $8, %%eax\n\tmov %%eax, %%cr0" : : : "eax");
	}
	return K.tasks[K.cur].frame;
}

/* ---- interrupts --------------------------------------------------------- */

static void uptime_line(void)
{
	char buf[128], *p = buf;
	p = fmt_str(p, "demo: uptime ");
	p = fmt_dec(p, K.ticks / HZ);
	p = fmt_str(p, " s, ticks ");
	p = fmt_dec(p, K.ticks);
	p = fmt_str(p, ", switches ");
	p = fmt_dec(p, K.switches);
	p = fmt_str(p, ", keys ");
	p = fmt_dec(p, K.keys);
	p = fmt_str(p, "\n");
	puts_serial(buf);
}

static struct frame *timer(struct frame *f)
{
	K.ticks++;
	for (int i = 0; i < NUSER; i++)
		if (K.tasks[i].state == TASK_SLEEPING && (int)(K.ticks - K.tasks[i].wake_tick) >= 0)
			K.tasks[i].state = TASK_RUNNABLE;
	if (K.mouse_moved)
		cursor_update();
	if (K.ticks % HZ == 0) {
		uptime_line();
		draw_status();
	}
	if (K.ticks % (5 * HZ) == 0) {
		char buf[64], *p = buf;
		p = fmt_str(p, "demo: lazy FPU state switches (#NM) ");
		p = fmt_dec(p, K.fpu_switches);
		p = fmt_str(p, "\n");
		puts_serial(buf);
	}
	return schedule(f);
}

static void key(char c)
{
	char buf[32], *p = buf;
	K.keys++;
	p = fmt_str(p, "demo: key '");
	if (c == '\n')
		p = fmt_str(p, "\\n");
	else if (c == '\b')
		p = fmt_str(p, "\\b");
	else
		*p++ = c;
	p = fmt_str(p, "'\n");
	puts_serial(buf);
	if (c == '\n') {
		puts_serial("demo: line '");
		puts_serial(K.line);
		puts_serial("'\n");
		K.line_len = 0;
	} else if (c == '\b') {
		if (K.line_len)
			K.line_len--;
	} else if (K.line_len < (int)sizeof(K.line) - 1) {
		K.line[K.line_len++] = c;
	}
	K.line[K.line_len] = 0;
	draw_line();
}

/* scancode set 1 make codes 0x00-0x39 (0: no character) */
static const char keymap[2][0x3a] = {
	{ 0, 0, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', 0,
	  'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0,
	  'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\',
	  'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ' },
	{ 0, 0, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', 0,
	  'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0,
	  'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|',
	  'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ' },
};

static void keyboard(void)
{
	u8 s = inb(0x60);
	u8 code = s & 0x7f;
	if (code == 0x2a || code == 0x36) {          /* shift */
		K.shift = !(s & 0x80);
		return;
	}
	if ((s & 0x80) || code >= sizeof(keymap[0]))
		return;                              /* release, 0xE0, unmapped */
	char c = keymap[K.shift][code];
	if (c)
		key(c);
}

static void serial_rx(void)
{
	while (inb(COM1 + 5) & 1) {
		char c = (char)inb(COM1);
		if (c == '\r')
			c = '\n';
		else if (c == 0x7f)
			c = '\b';
		if (c == '\n' || c == '\b' || (c >= ' ' && c < 0x7f))
			key(c);
	}
}

static const char *const exc_names[20] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "BOUND",
	"invalid opcode", "no FPU", "double fault", "FPU segment overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check", "machine check",
	"SIMD error",
};

static void fault(struct frame *f)
{
	char buf[160], *p = buf;
	u32 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	p = fmt_str(p, "demo: exception ");
	p = fmt_dec(p, f->vec);
	p = fmt_str(p, " (");
	p = fmt_str(p, f->vec < 20 ? exc_names[f->vec] : "reserved");
	p = fmt_str(p, "), error ");
	p = fmt_hex(p, f->err);
	p = fmt_str(p, " at ");
	p = fmt_hex(p, f->cs);
	p = fmt_str(p, ":");
	p = fmt_hex(p, f->eip);
	p = fmt_str(p, ", cr2 ");
	p = fmt_hex(p, cr2);
	p = fmt_str(p, ", task ");
	p = fmt_str(p, K.tasks[K.cur].name);
	p = fmt_str(p, "; halted\n");
	puts_serial(buf);
	fill_rect(0, TEXT_Y, SCREEN_W, TEXT_H, COL_BAR);
	draw_text(8, TEXT_Y + 4, buf + 6, COL_YELLOW, COL_BAR);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* a string from the user pages only (the kernel's are supervisor pages, but
 * the kernel could read them), at most size - 1 bytes; returns its length */
static int copy_user_string(char *buf, u32 addr, int size)
{
	int n = 0;
	while (addr + n >= (u32)__user_text_start && addr + n < (u32)__user_end && n < size - 1 &&
	       ((const char *)addr)[n]) {
		buf[n] = ((const char *)addr)[n];
		n++;
	}
	buf[n] = 0;
	return n;
}

static struct frame *syscall(struct frame *f)
{
	if ((f->cs & 3) == 3 && !K.user_seen) {
		u32 cr0;
		__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
		if (cr0 & 0x80000000) {
			puts_serial("demo: paging on, user mode on (CPL 3 tasks: plasma, cube, mandelbrot)\n");
			K.user_seen = 1;
		}
	}
	char buf[201];
	switch (f->eax) {
	case SYS_WRITE:
		f->eax = (u32)copy_user_string(buf, f->ebx, sizeof(buf));
		puts_serial(buf);
		return f;
	case SYS_TEXT:
		f->eax = (u32)copy_user_string(buf, f->ebx, 41);
		draw_text_over((int)(f->ecx & 0xffff), (int)(f->ecx >> 16), buf, (u8)f->edx);
		return f;
	case SYS_SLEEP:
		f->eax = 0;
		if (f->ebx) {
			K.tasks[K.cur].state = TASK_SLEEPING;
			K.tasks[K.cur].wake_tick = K.ticks + f->ebx;
		}
		return schedule(f);
	case SYS_TICKS:
		f->eax = K.ticks;
		return f;
	default:
		f->eax = (u32)-1;
		return f;
	}
}

struct frame *isr_dispatch(struct frame *f)
{
	switch (f->vec) {
	case 7:
		fpu_switch();
		return f;
	case 0x20:
		eoi(f->vec);
		return timer(f);
	case 0x21:
		keyboard();
		eoi(f->vec);
		return f;
	case 0x24:
		serial_rx();
		eoi(f->vec);
		return f;
	case 0x2c:
		mouse();
		eoi(f->vec);
		return f;
	case 0x80:
		return syscall(f);
	default:
		if (f->vec < 32)
			fault(f);
		eoi(f->vec);             /* spurious or unexpected IRQ */
		return f;
	}
}

void kmain(void)
{
	serial_init();
	puts_serial("\ndemo: shade86 demo guest booted\n");
	gdt_init();
	idt_init();
	paging_init();
	fpu_init();
	palette_init();
	screen_init();
	pic_init();
	pit_init();
	mouse_init();
	while (inb(0x64) & 1)        /* whatever the BIOS left in the 8042 */
		inb(0x60);
	task_create(0, "plasma", task_plasma);
	task_create(1, "cube", task_cube);
	task_create(2, "mandelbrot", task_mandel);
	K.tasks[IDLE].name = "idle";
	K.tasks[IDLE].state = TASK_RUNNABLE;
	K.cur = IDLE;
	tss.esp0 = K.tasks[0].kstack_top;
	puts_serial("demo: GDT, IDT, TSS, paging and PIT set up; starting 3 user tasks\n");
	/* the idle task: the first tick switches away from here */
	for (;;)
		__asm__ volatile("sti; hlt");
}
