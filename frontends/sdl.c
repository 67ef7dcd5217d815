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
#include "keymap.h"
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

/* SDL's scancodes are USB HID usages (keymap.h) */
static void send_key(struct display *d, SDL_Scancode sc, bool down)
{
	uint8_t b[KEYMAP_MAX];
	size_t n = keymap_set2((unsigned)sc, down, b);
	if (n)
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
