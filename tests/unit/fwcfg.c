/*
 * fw_cfg (QEMU docs/specs/fw_cfg: "Selector (Control) Register", "Data
 * Register", "Firmware Configuration Items"): signature "QEMU" at key 0, the
 * ID bit 0 (traditional interface, no DMA), little-endian integer items, the
 * big-endian file directory at key 0x19, zeros past the end of an item, a
 * selector write resetting the offset.
 */
#include "harness.h"
#include "suites.h"
#include "devices/fwcfg.h"

static struct fwcfg F;

static void sel(uint16_t key)
{
	io_out(&M->mem, 0x510, key, 2);
}

static uint8_t rd(void)
{
	return (uint8_t)io_in(&M->mem, 0x511, 1);
}

static void setup(void)
{
	ck_assert_int_eq(fwcfg_init(&F, &M->mem), 0);
}

static void teardown_dev(void)
{
	fwcfg_free(&F);
}

START_TEST(signature_and_id)
{
	setup();
	sel(FW_CFG_SIGNATURE);
	char sig[5] = { 0 };
	for (int i = 0; i < 4; i++)
		sig[i] = (char)rd();
	ck_assert_str_eq(sig, "QEMU");
	EQ(rd(), 0);                       /* past the end: 0 */
	sel(FW_CFG_ID);
	EQ(rd(), 1);                       /* bit 0: traditional interface; bit 1 (DMA) clear */
	sel(FW_CFG_SIGNATURE);             /* re-selecting starts over */
	EQ(rd(), 'Q');
	teardown_dev();
}
END_TEST

START_TEST(integers_are_little_endian)
{
	setup();
	fwcfg_set_u64(&F, FW_CFG_RAM_SIZE, 0x0000000108000000ull);
	fwcfg_set_u16(&F, FW_CFG_NB_CPUS, 1);
	sel(FW_CFG_RAM_SIZE);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)rd() << (8 * i);
	EQ64(v, 0x0000000108000000ull);
	sel(FW_CFG_NB_CPUS);
	EQ(rd(), 1);
	EQ(rd(), 0);
	teardown_dev();
}
END_TEST

START_TEST(file_directory)
{
	setup();
	static const uint8_t e820[20] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	ck_assert_int_eq(fwcfg_add_file(&F, "etc/e820", e820, sizeof e820), 0);
	ck_assert_int_eq(fwcfg_add_file(&F, "bootorder", "/ide@0\n", 7), 0);
	ck_assert_int_eq(fwcfg_add_file(&F, "bootorder", "x", 1), -1);   /* names are unique */
	sel(FW_CFG_FILE_DIR);
	uint32_t count = 0;
	for (int i = 0; i < 4; i++)
		count = count << 8 | rd();                   /* big-endian */
	EQ(count, 2);
	/* entry 0: size 20, select 0x20, reserved, "etc/e820" */
	uint8_t e[64];
	for (int i = 0; i < 64; i++)
		e[i] = rd();
	EQ((uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3], 20);
	EQ(e[4] << 8 | e[5], 0x20);
	ck_assert_str_eq((char *)e + 8, "etc/e820");
	for (int i = 0; i < 64; i++)
		e[i] = rd();
	EQ((uint32_t)e[3], 7);
	EQ(e[4] << 8 | e[5], 0x21);
	ck_assert_str_eq((char *)e + 8, "bootorder");
	sel(0x21);
	EQ(rd(), '/');
	sel(0x22);                                       /* no such file */
	EQ(rd(), 0);
	sel(0x8000 | FW_CFG_SIGNATURE);                  /* arch-local keys: none */
	EQ(rd(), 0);
	teardown_dev();
}
END_TEST

START_TEST(save_load_cursor)
{
	setup();
	sel(FW_CFG_SIGNATURE);
	rd();
	struct state_writer w;
	sw_init(&w);
	fwcfg_save(&F, &w);
	rd();
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(fwcfg_load(&F, &r), 0);
	EQ(rd(), 'E');                                   /* back at offset 1 */
	sr_init(&r, w.buf, 3);                           /* truncated */
	ck_assert_int_eq(fwcfg_load(&F, &r), -1);
	sw_free(&w);
	teardown_dev();
}
END_TEST

Suite *fwcfg_suite(void)
{
	Suite *s = suite_create("fwcfg");
	TCase *tc = h_tcase("fwcfg");
	tcase_add_test(tc, signature_and_id);
	tcase_add_test(tc, integers_are_little_endian);
	tcase_add_test(tc, file_directory);
	tcase_add_test(tc, save_load_cursor);
	suite_add_tcase(s, tc);
	return s;
}
