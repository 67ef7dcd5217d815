/* Whole host files (see hostfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfile.h"

int hostfile_read(const char *path, const char *what, uint32_t max, uint8_t **out, uint32_t *len,
		  char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > (off_t)max) {
		snprintf(err, errlen, "%s '%s' is too large (%lld bytes, at most %u)", what, path,
			 (long long)st.st_size, max);
		close(fd);
		return -1;
	}
	uint32_t n = (uint32_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading %s '%s'", what, path);
		close(fd);
		return -1;
	}
	uint32_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
				 r < 0 ? strerror(errno) : "the file shrank while being read");
			free(buf);
			close(fd);
			return -1;
		}
		got += (uint32_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}
