/* shade86 demo guest: what the kernel (kernel.c) and the user tasks (user.c)
 * share: types, the screen layout and the system calls (INT 0x80, number in
 * EAX, argument in EBX, result in EAX).  No system headers: the guest is
 * freestanding. */
#ifndef DEMO_H
#define DEMO_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef signed char s8;

#define HZ 100                       /* PIT ticks per second */

/* mode 13h: 320x200, one byte per pixel at 0xA0000 (mapped user-writable) */
#define SCREEN_W 320
#define SCREEN_H 200
#define VGA_MEM ((volatile u8 *)0xA0000)

/* screen regions: status bar (kernel), plasma and cube (user), Mandelbrot
 * strip (user), typed text line (kernel) */
#define BAR_Y 0
#define BAR_H 10
#define PLASMA_X 0
#define PLASMA_Y 10
#define PLASMA_W 160
#define PLASMA_H 100
#define CUBE_X 160
#define CUBE_Y 10
#define CUBE_W 160
#define CUBE_H 100
#define MANDEL_Y 110
#define MANDEL_H 72
#define TEXT_Y 184
#define TEXT_H 16

/* palette */
#define COL_BLACK 0
#define COL_BAR 1
#define COL_WHITE 2
#define COL_GREY 3
#define COL_YELLOW 4
#define COL_CYAN 5
#define COL_TEXTBG 6
#define COL_GREEN 7
#define COL_PLASMA 16                /* 64 entries: a rainbow cycle */
#define COL_MANDEL 80                /* 64 entries: blue, white, orange */
#define COL_CUBE 144                 /* 16 entries: dark to bright green */
#define COL_CUBEBG 160

#define SYS_WRITE 0                  /* EBX = NUL-terminated string: to COM1 */
#define SYS_SLEEP 1                  /* EBX = ticks to sleep (0: yield) */
#define SYS_TICKS 2                  /* returns the PIT tick count */
#define SYS_TEXT 3                   /* EBX = string, ECX = x | y << 16, EDX =
				      * colour: drawn with the BIOS font over
				      * what is there (the font is not in the
				      * user pages) */

#endif
