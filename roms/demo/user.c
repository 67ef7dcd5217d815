/* shade86 demo guest: the three user tasks, run at CPL 3.
 *
 * This file's code, constants, data and stacks are linked into pages of their
 * own (link.ld) that the kernel maps user-accessible; everything else of the
 * kernel is supervisor-only, so nothing here may call into kernel.c (the
 * build checks that user.o has no undefined symbols).  The tasks draw
 * straight into the mode 13h frame buffer, which is mapped user-writable,
 * and talk to the kernel only through INT 0x80.
 *
 *   plasma      integer plasma from a sine table the task computes with the
 *               x87 (FSIN) at start, swaying by an FSIN per frame; a frame
 *               every 3 ticks
 *   cube        a rotating wireframe cube in x87 floating point (FSINCOS),
 *               drawn into a back buffer, copied out; a frame every 2 ticks
 *   mandelbrot  compute-bound: zooms into the Mandelbrot set in 8.24 fixed
 *               point (32x32->64-bit IMUL), pixel by pixel, preempted by
 *               the timer; rests a second between passes
 */
#include "demo.h"

u8 user_stacks[3][4096] __attribute__((aligned(16)));

static inline u32 sys(u32 n, u32 a)
{
	u32 r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a) : "memory");
	return r;
}

static inline u32 sys3(u32 n, u32 a, u32 b, u32 c)
{
	u32 r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static void print(const char *s) { sys(SYS_WRITE, (u32)s); }

static void label(int x, int y, const char *s, u8 colour)
{
	sys3(SYS_TEXT, (u32)s, (u32)x | (u32)y << 16, colour);
}

/* ---- plasma ------------------------------------------------------------- */

static s8 sintab[256];

static double x87_sin(double a)
{
	double r;
	__asm__("fsin" : "=t"(r) : "0"(a));
	return r;
}

void task_plasma(void)
{
	static s8 colx[PLASMA_W], rowy[PLASMA_H];
	print("demo: task plasma running\n");
	for (int i = 0; i < 256; i++)
		sintab[i] = (s8)(int)(x87_sin(i * (6.283185307179586 / 256)) * 63.0);
	for (u32 t = 0;; t++) {
		/* a slow sway, in x87 every frame: with the cube that makes the
		 * kernel move FPU state between tasks (lazily, on #NM) */
		int sway = (int)(x87_sin(t * 0.04) * 40.0);
		for (int x = 0; x < PLASMA_W; x++)
			colx[x] = (s8)((sintab[(x * 4 + t * 2) & 255] + sintab[(x * 2 + t * 5) & 255]) >> 1);
		for (int y = 0; y < PLASMA_H; y++)
			rowy[y] = (s8)((sintab[(y * 5 - t * 3) & 255] + sintab[(y * 3 + t) & 255]) >> 1);
		for (int y = 0; y < PLASMA_H; y++) {
			volatile u32 *row = (volatile u32 *)(VGA_MEM + (PLASMA_Y + y) * SCREEN_W + PLASMA_X);
			int ry = rowy[y];
			u32 d = (u32)(y * 3 + t * 4 + sway);
			for (int x = 0; x < PLASMA_W; x += 4) {
				u32 px = 0;
				for (int k = 0; k < 4; k++) {
					int v = colx[x + k] + ry + sintab[((x + k) * 2 + d) & 255];
					px |= (u32)(COL_PLASMA + (((v >> 2) + t) & 63)) << (8 * k);
				}
				row[x / 4] = px;
			}
		}
		label(PLASMA_X + 4, PLASMA_Y + PLASMA_H - 11, "plasma", COL_BLACK);
		label(PLASMA_X + 3, PLASMA_Y + PLASMA_H - 12, "plasma", COL_WHITE);
		sys(SYS_SLEEP, 3);
	}
}

/* ---- cube --------------------------------------------------------------- */

static u8 back[CUBE_H][CUBE_W] __attribute__((aligned(4)));

static void x87_sincos(float a, float *s, float *c)
{
	double sv, cv;
	__asm__("fsincos" : "=t"(cv), "=u"(sv) : "0"((double)a));
	*s = (float)sv;
	*c = (float)cv;
}

static void plot(int x, int y, u8 c)
{
	if (x >= 0 && x < CUBE_W && y >= 0 && y < CUBE_H)
		back[y][x] = c;
}

static int iabs(int v) { return v < 0 ? -v : v; }

static void line(int x0, int y0, int x1, int y1, u8 c)
{
	int dx = iabs(x1 - x0), dy = -iabs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
	for (;;) {
		plot(x0, y0, c);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

void task_cube(void)
{
	static const s8 v[8][3] = {
		{ -1, -1, -1 }, { 1, -1, -1 }, { 1, 1, -1 }, { -1, 1, -1 },
		{ -1, -1, 1 }, { 1, -1, 1 }, { 1, 1, 1 }, { -1, 1, 1 },
	};
	static const u8 edges[12][2] = {
		{ 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 0 }, { 4, 5 }, { 5, 6 },
		{ 6, 7 }, { 7, 4 }, { 0, 4 }, { 1, 5 }, { 2, 6 }, { 3, 7 },
	};
	float ax = 0, ay = 0, az = 0;
	int px[8], py[8];
	float pz[8];
	int bx = 20, by = 30, bdx = 1, bdy = 1;   /* a bouncing dot */
	print("demo: task cube running\n");
	for (;;) {
		float sa, ca, sb, cb, sc, cc;
		x87_sincos(ax, &sa, &ca);
		x87_sincos(ay, &sb, &cb);
		x87_sincos(az, &sc, &cc);
		for (int i = 0; i < 8; i++) {
			float x = v[i][0], y = v[i][1], z = v[i][2], t;
			t = y * ca - z * sa; z = y * sa + z * ca; y = t;    /* about X */
			t = x * cb + z * sb; z = z * cb - x * sb; x = t;    /* about Y */
			t = x * cc - y * sc; y = x * sc + y * cc; x = t;    /* about Z */
			float w = 110.0f / (z + 4.0f);
			px[i] = CUBE_W / 2 + (int)(x * w);
			py[i] = CUBE_H / 2 + (int)(y * w);
			pz[i] = z;
		}
		u32 *b = (u32 *)back;
		for (int i = 0; i < CUBE_W * CUBE_H / 4; i++)
			b[i] = COL_CUBEBG * 0x01010101u;
		/* a dot bouncing off the walls behind the cube */
		bx += bdx;
		by += bdy;
		if (bx <= 2 || bx >= CUBE_W - 3)
			bdx = -bdx;
		if (by <= 2 || by >= CUBE_H - 3)
			bdy = -bdy;
		for (int j = -2; j <= 2; j++)
			for (int i = -2; i <= 2; i++)
				if (i * i + j * j <= 5)
					plot(bx + i, by + j, COL_YELLOW);
		for (int e = 0; e < 12; e++) {
			int a = edges[e][0], c = edges[e][1];
			float z = (pz[a] + pz[c]) * 0.5f;               /* -1.7 .. 1.7 */
			int shade = 15 - (int)((z + 1.75f) * 4.2f);
			if (shade < 0)
				shade = 0;
			if (shade > 15)
				shade = 15;
			line(px[a], py[a], px[c], py[c], (u8)(COL_CUBE + shade));
		}
		for (int y = 0; y < CUBE_H; y++) {
			volatile u32 *dst = (volatile u32 *)(VGA_MEM + (CUBE_Y + y) * SCREEN_W + CUBE_X);
			const u32 *src = (const u32 *)back[y];
			for (int x = 0; x < CUBE_W / 4; x++)
				dst[x] = src[x];
		}
		label(CUBE_X + 4, CUBE_Y + CUBE_H - 12, "x87 cube", COL_GREY);
		ax += 0.031f;
		ay += 0.047f;
		az += 0.013f;
		sys(SYS_SLEEP, 2);
	}
}

/* ---- Mandelbrot --------------------------------------------------------- */

#define FIX 24
#define FIX_ONE (1 << FIX)

static int fmul(int a, int b) { return (int)(((long long)a * b) >> FIX); }

/* no library here: the kernel's memcpy is out of reach at CPL 3 */
static char *cat(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	*p = 0;
	return p;
}

static char *dec(char *p, u32 v)
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

void task_mandel(void)
{
	/* from the whole set (centre -0.6) down the antenna into the largest
	 * minibrot on the real axis (-1.754877666): the centre's distance from
	 * the target shrinks with the pixel step, so the target stays put on
	 * the screen */
	const int tx = -29441962, ty = 0;            /* * 2^24 */
	const int sx = -10066330, sy = 0;
	print("demo: task mandelbrot running\n");
	for (u32 pass = 0;; pass++) {
		char *p;
		u32 level = pass % 14;               /* then the minibrot fills the strip */
		int step = 3 * FIX_ONE / SCREEN_W;           /* 3.0 wide at level 0 */
		int ox = sx - tx, oy = sy - ty;
		for (u32 i = 0; i < level; i++) {
			step = step / 10 * 7;
			ox = ox / 10 * 7;
			oy = oy / 10 * 7;
		}
		int cx = tx + ox, cy = ty + oy;
		char msg[80];
		p = cat(msg, "mandelbrot zoom ");
		p = dec(p, level);
		int maxit = 40 + (int)level * 8;
		u32 t0 = sys(SYS_TICKS, 0);
		for (int y = 0; y < MANDEL_H; y++) {
			volatile u8 *row = VGA_MEM + (MANDEL_Y + y) * SCREEN_W;
			int ci = cy + (y - MANDEL_H / 2) * step;
			for (int x = 0; x < SCREEN_W; x++) {
				int cr = cx + (x - SCREEN_W / 2) * step;
				int zr = 0, zi = 0, it = 0;
				while (it < maxit) {
					int r2 = fmul(zr, zr), i2 = fmul(zi, zi);
					if (r2 + i2 > 4 * FIX_ONE)
						break;
					zi = 2 * fmul(zr, zi) + ci;
					zr = r2 - i2 + cr;
					it++;
				}
				row[x] = it == maxit ? COL_BLACK
						     : (u8)(COL_MANDEL + ((it * 2 + (int)pass * 5) & 63));
			}
			if (y == 10) {
				label(5, MANDEL_Y + 3, msg, COL_BLACK);
				label(4, MANDEL_Y + 2, msg, COL_WHITE);
			}
		}
		p = cat(msg, "demo: mandelbrot pass ");
		p = dec(p, pass + 1);
		p = cat(p, " done in ");
		p = dec(p, sys(SYS_TICKS, 0) - t0);
		p = cat(p, " ticks\n");
		print(msg);
		sys(SYS_SLEEP, HZ);
	}
}
