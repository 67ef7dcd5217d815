/* bin2c NAME < file > file.c: a binary file as a C array (used for the built-in demo ROM). */
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bin2c NAME < in > out.c\n");
		return 2;
	}
	unsigned n = 0;
	int c;
	printf("const unsigned char %s[] = {", argv[1]);
	while ((c = getchar()) != EOF)
		printf("%s0x%02x,", n++ % 12 ? " " : "\n\t", c);
	printf("\n};\nconst unsigned int %s_len = %u;\n", argv[1], n);
	return 0;
}
