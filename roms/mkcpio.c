/*
 * mkcpio - write a "newc" (SVR4, magic 070701) cpio archive from a spec file,
 * without needing root (device nodes and ownership come from the spec).
 *
 * Usage: mkcpio [-t MTIME] SPECFILE > archive.cpio      (SPECFILE "-" = stdin)
 *
 * Spec lines (fields separated by blanks, '#' starts a comment line):
 *   dir   NAME MODE UID GID
 *   file  NAME SRCPATH MODE UID GID
 *   slink NAME TARGET MODE UID GID
 *   nod   NAME MODE UID GID c|b MAJOR MINOR
 * MODE is octal permission bits.  Every entry gets mtime MTIME (default 0)
 * and inode numbers count up from 1, so the output is reproducible.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long g_ino = 1;
static unsigned long g_mtime = 0;
static unsigned long g_off = 0;          /* bytes written so far */
static const char *g_spec = "-";
static unsigned g_line = 0;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mkcpio: %s:%u: ", g_spec, g_line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void out(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, stdout) != n) {
        fprintf(stderr, "mkcpio: write error: %s\n", strerror(errno));
        exit(1);
    }
    g_off += n;
}

static void pad4(void)
{
    static const char z[4] = {0};
    out(z, (4 - (g_off & 3)) & 3);
}

/* Header + name (+ padding); data must follow, then pad4(). */
static void header(const char *name, unsigned long mode, unsigned long uid,
                   unsigned long gid, unsigned long nlink, unsigned long size,
                   unsigned long rmaj, unsigned long rmin)
{
    char hdr[6 + 13 * 8 + 1];
    /* archive names are relative: strip leading slashes, "/" becomes "." */
    while (name[0] == '/')
        name++;
    if (!name[0])
        name = ".";
    size_t namesize = strlen(name) + 1;
    unsigned long ino = strcmp(name, "TRAILER!!!") ? g_ino++ : 0;
    const unsigned long f[13] = {
        ino, mode, uid, gid, nlink, g_mtime, size,
        0, 0,                   /* dev major/minor of the archive's fs */
        rmaj, rmin, (unsigned long)namesize, 0 /* check: unused in newc */
    };
    static const char hx[] = "0123456789ABCDEF";
    memcpy(hdr, "070701", 6);
    for (int i = 0; i < 13; i++) {
        if (f[i] > 0xFFFFFFFFul)
            die("field %d of %s does not fit in 32 bits", i, name);
        for (int d = 0; d < 8; d++)
            hdr[6 + i * 8 + d] = hx[(f[i] >> (28 - 4 * d)) & 15];
    }
    hdr[110] = 0;
    out(hdr, 110);
    out(name, namesize);
    pad4();
}

static unsigned long num(const char *s, int base, const char *what)
{
    char *end;
    if (!s)
        die("missing %s", what);
    errno = 0;
    unsigned long v = strtoul(s, &end, base);
    if (errno || *end || end == s)
        die("bad %s '%s'", what, s);
    return v;
}

static void do_file(const char *name, const char *src, unsigned long perm,
                    unsigned long uid, unsigned long gid)
{
    FILE *f = fopen(src, "rb");
    if (!f)
        die("cannot open %s: %s", src, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0)
        die("cannot seek %s", src);
    long sz = ftell(f);
    if (sz < 0 || (unsigned long)sz > 0xFFFFFFFFul)
        die("bad size for %s", src);
    rewind(f);
    header(name, 0100000 | perm, uid, gid, 1, (unsigned long)sz, 0, 0);
    char buf[65536];
    unsigned long left = (unsigned long)sz;
    while (left) {
        size_t want = left < sizeof buf ? left : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            die("short read on %s", src);
        out(buf, got);
        left -= got;
    }
    fclose(f);
    pad4();
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && !strcmp(argv[i], "-t")) {
        g_mtime = num(argv[i + 1], 10, "mtime");
        i += 2;
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: mkcpio [-t MTIME] SPECFILE > out.cpio\n");
        return 2;
    }
    g_spec = argv[i];
    FILE *in = strcmp(g_spec, "-") ? fopen(g_spec, "r") : stdin;
    if (!in) {
        fprintf(stderr, "mkcpio: cannot open %s: %s\n", g_spec, strerror(errno));
        return 1;
    }
    char line[8192];
    while (fgets(line, sizeof line, in)) {
        g_line++;
        if (!strchr(line, '\n') && !feof(in))
            die("line too long");
        char *tok[10];
        int n = 0;
        for (char *p = strtok(line, " \t\r\n"); p && n < 10; p = strtok(NULL, " \t\r\n"))
            tok[n++] = p;
        if (n == 0 || tok[0][0] == '#')
            continue;
        for (int k = n; k < 10; k++)
            tok[k] = NULL;
        const char *type = tok[0];
        if (!strcmp(type, "dir")) {
            if (n != 5) die("dir: expected NAME MODE UID GID");
            header(tok[1], 040000 | num(tok[2], 8, "mode"), num(tok[3], 10, "uid"),
                   num(tok[4], 10, "gid"), 2, 0, 0, 0);
        } else if (!strcmp(type, "file")) {
            if (n != 6) die("file: expected NAME SRC MODE UID GID");
            do_file(tok[1], tok[2], num(tok[3], 8, "mode"), num(tok[4], 10, "uid"),
                    num(tok[5], 10, "gid"));
        } else if (!strcmp(type, "slink")) {
            if (n != 6) die("slink: expected NAME TARGET MODE UID GID");
            size_t tl = strlen(tok[2]);
            header(tok[1], 0120000 | num(tok[3], 8, "mode"), num(tok[4], 10, "uid"),
                   num(tok[5], 10, "gid"), 1, tl, 0, 0);
            out(tok[2], tl);
            pad4();
        } else if (!strcmp(type, "nod")) {
            if (n != 8) die("nod: expected NAME MODE UID GID c|b MAJOR MINOR");
            unsigned long kind;
            if (!strcmp(tok[5], "c")) kind = 020000;
            else if (!strcmp(tok[5], "b")) kind = 060000;
            else die("nod: type must be c or b");
            header(tok[1], kind | num(tok[2], 8, "mode"), num(tok[3], 10, "uid"),
                   num(tok[4], 10, "gid"), 1, 0, num(tok[6], 10, "major"),
                   num(tok[7], 10, "minor"));
        } else {
            die("unknown entry type '%s'", type);
        }
    }
    if (ferror(in))
        die("read error");
    header("TRAILER!!!", 0, 0, 0, 1, 0, 0, 0);
    /* pad the archive to a 512-byte multiple like cpio(1) does */
    static const char z[512] = {0};
    out(z, (512 - (g_off % 512)) % 512);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "mkcpio: write error: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
