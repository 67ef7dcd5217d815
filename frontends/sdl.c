/* The SDL2 window (see display.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "display.h"

#ifndef HAVE_SDL

struct display *display_open(struct pc *pc, char *err, size_t errlen)
{
	(void)pc;
	snprintf(err, errlen, "this shade86 was built without SDL2 (./configure found no libsdl2-dev)");
	return NULL;
}
enum display_action display_poll(struct display *d, double mips) { (void)d; (void)mips; return DISPLAY_QUIT; }
bool display_paused(const struct display *d) { (void)d; return false; }
uint64_t display_next_frame(const struct display *d) { (void)d; return UINT64_MAX; }
void display_close(struct display *d) { (void)d; }

#else

#include <SDL.h>

#include "../devices/pc.h"
#include "png.h"

#define FRAME_NS 16666667u     /* 60 frames per second */
#define MAXW 2560
#define MAXH 1600

struct display {
	struct pc *pc;
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	unsigned tw, th;            /* texture size */
	uint32_t *pix;              /* MAXW x MAXH */
	uint64_t next_frame;
	bool paused, grabbed, fullscreen;
	bool ctrl, alt, combo_used; /* Ctrl+Alt state for the hotkeys / release */
	unsigned buttons;           /* KBC_BTN_* */
	unsigned shots;
	char title[160];
};

/* ---- keyboard: SDL scancodes (USB HID usages) to PS/2 scancode set 2 ----
 * From the set 2 table of the IBM PS/2 keyboard (and Microsoft's "Keyboard
 * Scan Code Specification"): most keys are one byte, break = F0 + byte;
 * the E0 keys are E0 + byte, break E0 F0 + byte.  Pause and PrintScreen are
 * handled separately. */
#define E0 0x100
static const uint16_t set2[SDL_NUM_SCANCODES] = {
	[SDL_SCANCODE_A] = 0x1c, [SDL_SCANCODE_B] = 0x32, [SDL_SCANCODE_C] = 0x21,
	[SDL_SCANCODE_D] = 0x23, [SDL_SCANCODE_E] = 0x24, [SDL_SCANCODE_F] = 0x2b,
	[SDL_SCANCODE_G] = 0x34, [SDL_SCANCODE_H] = 0x33, [SDL_SCANCODE_I] = 0x43,
	[SDL_SCANCODE_J] = 0x3b, [SDL_SCANCODE_K] = 0x42, [SDL_SCANCODE_L] = 0x4b,
	[SDL_SCANCODE_M] = 0x3a, [SDL_SCANCODE_N] = 0x31, [SDL_SCANCODE_O] = 0x44,
	[SDL_SCANCODE_P] = 0x4d, [SDL_SCANCODE_Q] = 0x15, [SDL_SCANCODE_R] = 0x2d,
	[SDL_SCANCODE_S] = 0x1b, [SDL_SCANCODE_T] = 0x2c, [SDL_SCANCODE_U] = 0x3c,
	[SDL_SCANCODE_V] = 0x2a, [SDL_SCANCODE_W] = 0x1d, [SDL_SCANCODE_X] = 0x22,
	[SDL_SCANCODE_Y] = 0x35, [SDL_SCANCODE_Z] = 0x1a,
	[SDL_SCANCODE_1] = 0x16, [SDL_SCANCODE_2] = 0x1e, [SDL_SCANCODE_3] = 0x26,
	[SDL_SCANCODE_4] = 0x25, [SDL_SCANCODE_5] = 0x2e, [SDL_SCANCODE_6] = 0x36,
	[SDL_SCANCODE_7] = 0x3d, [SDL_SCANCODE_8] = 0x3e, [SDL_SCANCODE_9] = 0x46,
	[SDL_SCANCODE_0] = 0x45,
	[SDL_SCANCODE_RETURN] = 0x5a, [SDL_SCANCODE_ESCAPE] = 0x76,
	[SDL_SCANCODE_BACKSPACE] = 0x66, [SDL_SCANCODE_TAB] = 0x0d,
	[SDL_SCANCODE_SPACE] = 0x29, [SDL_SCANCODE_MINUS] = 0x4e,
	[SDL_SCANCODE_EQUALS] = 0x55, [SDL_SCANCODE_LEFTBRACKET] = 0x54,
	[SDL_SCANCODE_RIGHTBRACKET] = 0x5b, [SDL_SCANCODE_BACKSLASH] = 0x5d,
	[SDL_SCANCODE_NONUSHASH] = 0x5d, [SDL_SCANCODE_SEMICOLON] = 0x4c,
	[SDL_SCANCODE_APOSTROPHE] = 0x52, [SDL_SCANCODE_GRAVE] = 0x0e,
	[SDL_SCANCODE_COMMA] = 0x41, [SDL_SCANCODE_PERIOD] = 0x49,
	[SDL_SCANCODE_SLASH] = 0x4a, [SDL_SCANCODE_CAPSLOCK] = 0x58,
	[SDL_SCANCODE_NONUSBACKSLASH] = 0x61,
	[SDL_SCANCODE_F1] = 0x05, [SDL_SCANCODE_F2] = 0x06, [SDL_SCANCODE_F3] = 0x04,
	[SDL_SCANCODE_F4] = 0x0c, [SDL_SCANCODE_F5] = 0x03, [SDL_SCANCODE_F6] = 0x0b,
	[SDL_SCANCODE_F7] = 0x83, [SDL_SCANCODE_F8] = 0x0a, [SDL_SCANCODE_F9] = 0x01,
	[SDL_SCANCODE_F10] = 0x09, [SDL_SCANCODE_F11] = 0x78, [SDL_SCANCODE_F12] = 0x07,
	[SDL_SCANCODE_SCROLLLOCK] = 0x7e,
	[SDL_SCANCODE_INSERT] = E0 | 0x70, [SDL_SCANCODE_HOME] = E0 | 0x6c,
	[SDL_SCANCODE_PAGEUP] = E0 | 0x7d, [SDL_SCANCODE_DELETE] = E0 | 0x71,
	[SDL_SCANCODE_END] = E0 | 0x69, [SDL_SCANCODE_PAGEDOWN] = E0 | 0x7a,
	[SDL_SCANCODE_RIGHT] = E0 | 0x74, [SDL_SCANCODE_LEFT] = E0 | 0x6b,
	[SDL_SCANCODE_DOWN] = E0 | 0x72, [SDL_SCANCODE_UP] = E0 | 0x75,
	[SDL_SCANCODE_NUMLOCKCLEAR] = 0x77, [SDL_SCANCODE_KP_DIVIDE] = E0 | 0x4a,
	[SDL_SCANCODE_KP_MULTIPLY] = 0x7c, [SDL_SCANCODE_KP_MINUS] = 0x7b,
	[SDL_SCANCODE_KP_PLUS] = 0x79, [SDL_SCANCODE_KP_ENTER] = E0 | 0x5a,
	[SDL_SCANCODE_KP_1] = 0x69, [SDL_SCANCODE_KP_2] = 0x72, [SDL_SCANCODE_KP_3] = 0x7a,
	[SDL_SCANCODE_KP_4] = 0x6b, [SDL_SCANCODE_KP_5] = 0x73, [SDL_SCANCODE_KP_6] = 0x74,
	[SDL_SCANCODE_KP_7] = 0x6c, [SDL_SCANCODE_KP_8] = 0x75, [SDL_SCANCODE_KP_9] = 0x7d,
	[SDL_SCANCODE_KP_0] = 0x70, [SDL_SCANCODE_KP_PERIOD] = 0x71,
	[SDL_SCANCODE_APPLICATION] = E0 | 0x2f,
	[SDL_SCANCODE_LCTRL] = 0x14, [SDL_SCANCODE_LSHIFT] = 0x12, [SDL_SCANCODE_LALT] = 0x11,
	[SDL_SCANCODE_LGUI] = E0 | 0x1f, [SDL_SCANCODE_RCTRL] = E0 | 0x14,
	[SDL_SCANCODE_RSHIFT] = 0x59, [SDL_SCANCODE_RALT] = E0 | 0x11,
	[SDL_SCANCODE_RGUI] = E0 | 0x27,
};

static void send_key(struct display *d, SDL_Scancode sc, bool down)
{
	uint8_t b[8];
	size_t n = 0;
	if (sc == SDL_SCANCODE_PAUSE) {
		/* Pause has no break code: the make sequence says it all */
		static const uint8_t pause[8] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
		if (down)
			kbc_key(&d->pc->kbc, pause, sizeof(pause));
		return;
	}
	if (sc == SDL_SCANCODE_PRINTSCREEN) {
		static const uint8_t make[4] = { 0xe0, 0x12, 0xe0, 0x7c };
		static const uint8_t brk[6] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
		if (down)
			kbc_key(&d->pc->kbc, make, sizeof(make));
		else
			kbc_key(&d->pc->kbc, brk, sizeof(brk));
		return;
	}
	if ((unsigned)sc >= SDL_NUM_SCANCODES || !set2[sc])
		return;
	uint16_t k = set2[sc];
	if (k & E0)
		b[n++] = 0xe0;
	if (!down)
		b[n++] = 0xf0;
	b[n++] = (uint8_t)k;
	kbc_key(&d->pc->kbc, b, n);
}

static void update_title(struct display *d, double mips)
{
	char t[sizeof(d->title)];
	snprintf(t, sizeof(t), "shade86 - %s%s - %.1f MIPS", d->paused ? "paused" : "running",
		 d->grabbed ? " - Ctrl+Alt releases the mouse" : "", d->paused ? 0.0 : mips);
	if (strcmp(t, d->title)) {
		memcpy(d->title, t, sizeof(t));
		SDL_SetWindowTitle(d->win, t);
	}
}

static void set_grab(struct display *d, bool on)
{
	d->grabbed = on;
	SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
	SDL_SetWindowGrab(d->win, on ? SDL_TRUE : SDL_FALSE);
}

/* VGA modes with 200, 350 or 400 lines fill a 4:3 monitor; VBE modes have
 * square pixels. */
static void logical_size(unsigned w, unsigned h, int *lw, int *lh)
{
	*lw = (int)w;
	*lh = (int)h;
	if (h == 200 || h == 350 || h == 400)
		*lh = (int)(w * 3 / 4);
}

static void draw(struct display *d)
{
	unsigned w = 0, h = 0;
	if (vga_render(&d->pc->vga, d->pix, MAXW, MAXH, &w, &h) || !w || !h) {
		w = 640;
		h = 480;
		memset(d->pix, 0, sizeof(uint32_t) * w * h);
	}
	if (!d->tex || w != d->tw || h != d->th) {
		if (d->tex)
			SDL_DestroyTexture(d->tex);
		d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
					   (int)w, (int)h);
		d->tw = w;
		d->th = h;
		int lw, lh;
		logical_size(w, h, &lw, &lh);
		SDL_RenderSetLogicalSize(d->ren, lw, lh);
	}
	if (!d->tex)
		return;
	SDL_UpdateTexture(d->tex, NULL, d->pix, (int)(w * sizeof(uint32_t)));
	SDL_SetRenderDrawColor(d->ren, 0, 0, 0, 255);
	SDL_RenderClear(d->ren);
	SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
	SDL_RenderPresent(d->ren);
}

static void screenshot(struct display *d)
{
	unsigned w = 0, h = 0;
	char path[64], err[300];
	if (vga_render(&d->pc->vga, d->pix, MAXW, MAXH, &w, &h) || !w || !h)
		return;
	snprintf(path, sizeof(path), "shade86-%u.png", ++d->shots);
	if (png_write_rgb(path, d->pix, w, h, err, sizeof(err)))
		fprintf(stderr, "shade86: screenshot: %s\n", err);
	else
		fprintf(stderr, "shade86: screenshot saved as %s\n", path);
}

struct display *display_open(struct pc *pc, char *err, size_t errlen)
{
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
		snprintf(err, errlen, "no display ($DISPLAY and $WAYLAND_DISPLAY are not set)");
		return NULL;
	}
	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS)) {
		snprintf(err, errlen, "SDL cannot open the display: %s", SDL_GetError());
		return NULL;
	}
	struct display *d = calloc(1, sizeof(*d));
	if (d)
		d->pix = malloc(sizeof(uint32_t) * MAXW * MAXH);
	if (!d || !d->pix) {
		snprintf(err, errlen, "out of memory for the display");
		goto fail;
	}
	d->pc = pc;
	d->win = SDL_CreateWindow("shade86", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 960, 720,
				  SDL_WINDOW_RESIZABLE);
	if (!d->win || !(d->ren = SDL_CreateRenderer(d->win, -1, 0))) {
		snprintf(err, errlen, "SDL cannot create the window: %s", SDL_GetError());
		goto fail;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	d->next_frame = pc_host_ns();
	return d;
fail:
	display_close(d);
	if (!d)
		SDL_Quit();
	return NULL;
}

bool display_paused(const struct display *d)
{
	return d->paused;
}

uint64_t display_next_frame(const struct display *d)
{
	return d->next_frame;
}

static bool hotkey(struct display *d, SDL_Scancode sc, enum display_action *act)
{
	switch (sc) {
	case SDL_SCANCODE_F:
		d->fullscreen = !d->fullscreen;
		SDL_SetWindowFullscreen(d->win, d->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
		return true;
	case SDL_SCANCODE_P:
		d->paused = !d->paused;
		return true;
	case SDL_SCANCODE_S:
		screenshot(d);
		return true;
	case SDL_SCANCODE_Q:
		*act = DISPLAY_QUIT;
		return true;
	default:
		return false;
	}
}

enum display_action display_poll(struct display *d, double mips)
{
	enum display_action act = DISPLAY_CONTINUE;
	SDL_Event e;
	while (SDL_PollEvent(&e)) {
		switch (e.type) {
		case SDL_QUIT:
			act = DISPLAY_QUIT;
			break;
		case SDL_KEYDOWN:
		case SDL_KEYUP: {
			bool down = e.type == SDL_KEYDOWN;
			SDL_Scancode sc = e.key.keysym.scancode;
			bool is_ctrl = sc == SDL_SCANCODE_LCTRL || sc == SDL_SCANCODE_RCTRL;
			bool is_alt = sc == SDL_SCANCODE_LALT || sc == SDL_SCANCODE_RALT;
			if (down && d->ctrl && d->alt && !is_ctrl && !is_alt) {
				d->combo_used = true;
				if (hotkey(d, sc, &act))
					break;
			}
			if (is_ctrl || is_alt) {
				bool both_before = d->ctrl && d->alt;
				if (is_ctrl)
					d->ctrl = down;
				else
					d->alt = down;
				if (d->ctrl && d->alt && !both_before)
					d->combo_used = false;
				/* Ctrl+Alt pressed and released alone: release the mouse */
				if (!down && both_before && !d->combo_used && d->grabbed)
					set_grab(d, false);
			}
			if (!e.key.repeat || down)
				send_key(d, sc, down);
			break;
		}
		case SDL_MOUSEBUTTONDOWN:
		case SDL_MOUSEBUTTONUP: {
			if (!d->grabbed) {
				if (e.type == SDL_MOUSEBUTTONDOWN)
					set_grab(d, true);
				break;
			}
			unsigned bit = e.button.button == SDL_BUTTON_LEFT ? KBC_BTN_LEFT :
				       e.button.button == SDL_BUTTON_RIGHT ? KBC_BTN_RIGHT :
				       e.button.button == SDL_BUTTON_MIDDLE ? KBC_BTN_MIDDLE : 0;
			if (e.type == SDL_MOUSEBUTTONDOWN)
				d->buttons |= bit;
			else
				d->buttons &= ~bit;
			kbc_mouse_motion(&d->pc->kbc, 0, 0, 0, d->buttons);
			break;
		}
		case SDL_MOUSEMOTION:
			/* PS/2: y grows upwards */
			if (d->grabbed)
				kbc_mouse_motion(&d->pc->kbc, e.motion.xrel, -e.motion.yrel, 0, d->buttons);
			break;
		case SDL_MOUSEWHEEL:
			/* IntelliMouse: positive = toward the user (scroll down) */
			if (d->grabbed)
				kbc_mouse_motion(&d->pc->kbc, 0, 0, -e.wheel.y, d->buttons);
			break;
		case SDL_WINDOWEVENT:
			if (e.window.event == SDL_WINDOWEVENT_FOCUS_LOST && d->grabbed)
				set_grab(d, false);
			break;
		}
	}
	uint64_t now = pc_host_ns();
	if (now >= d->next_frame) {
		draw(d);
		update_title(d, mips);
		d->next_frame += FRAME_NS;
		if (d->next_frame < now)
			d->next_frame = now + FRAME_NS;   /* behind: do not try to catch up */
	}
	return act;
}

void display_close(struct display *d)
{
	if (!d)
		return;
	if (d->tex)
		SDL_DestroyTexture(d->tex);
	if (d->ren)
		SDL_DestroyRenderer(d->ren);
	if (d->win)
		SDL_DestroyWindow(d->win);
	free(d->pix);
	free(d);
	SDL_Quit();
}

#endif
