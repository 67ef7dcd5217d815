/*
 * The desktop display (frontends/sdl.c): a window showing the PC's screen,
 * with the keyboard and mouse going to the guest's PS/2 devices.
 *
 * It runs in the same thread as the CPU: the run loop (headless.c) executes
 * the guest in slices of a few milliseconds and calls display_poll between
 * them, which handles the window's events and draws a frame when one is due
 * (60 per second).  A CPU thread would need every device and the run loop's
 * state behind locks for nothing: the guest can only change the screen
 * between slices anyway, and a slice is far shorter than a frame.
 *
 * Hotkeys (all with Ctrl+Alt held): F fullscreen, P pause, S screenshot
 * (shade86-N.png in the current directory), Q quit; pressing and releasing
 * Ctrl+Alt alone releases a grabbed mouse.  A click in the window grabs it.
 */
#ifndef SHADE86_DISPLAY_H
#define SHADE86_DISPLAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc;
struct display;

enum display_action {
	DISPLAY_CONTINUE,
	DISPLAY_QUIT,          /* the window was closed or Ctrl+Alt+Q */
};

/* Opens the window; NULL with err set when there is no display (no
 * $DISPLAY/$WAYLAND_DISPLAY, SDL cannot start) or SDL is not built in. */
struct display *display_open(struct pc *pc, char *err, size_t errlen);
/* Events and, when due, a frame.  mips: for the title. */
enum display_action display_poll(struct display *d, double mips);
/* The guest is paused (Ctrl+Alt+P): the run loop only polls. */
bool display_paused(const struct display *d);
/* Host time (pc_host_ns) at which the next frame is due. */
uint64_t display_next_frame(const struct display *d);
void display_close(struct display *d);
#endif
