/* The unit-test program: every suite in one SRunner (run as CK_FORK=no). */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(alu_suite());
	srunner_add_suite(sr, shift_suite());
	srunner_add_suite(sr, muldiv_suite());
	srunner_add_suite(sr, bcd_suite());
	srunner_add_suite(sr, bitops_suite());
	srunner_add_suite(sr, data_suite());
	srunner_add_suite(sr, string_suite());
	srunner_add_suite(sr, branch_suite());
	srunner_add_suite(sr, system_suite());
	srunner_add_suite(sr, decoder_suite());
	srunner_add_suite(sr, paging_suite());
	srunner_add_suite(sr, interrupts_suite());
	srunner_add_suite(sr, mem_suite());
	srunner_add_suite(sr, shadow_suite());
	srunner_add_suite(sr, fwcfg_suite());
	srunner_add_suite(sr, x87_suite());
	srunner_add_suite(sr, uart_suite());
	srunner_add_suite(sr, kbc_suite());
	srunner_add_suite(sr, pic_suite());
	srunner_add_suite(sr, pit_suite());
	srunner_add_suite(sr, rtc_suite());
	srunner_add_suite(sr, pci_suite());
	srunner_add_suite(sr, vga_suite());
	srunner_add_suite(sr, ata_suite());
	srunner_add_suite(sr, acpi_suite());
	srunner_add_suite(sr, linuxboot_suite());
	srunner_add_suite(sr, atomic_suite());
	srunner_add_suite(sr, optable_suite());
	srunner_add_suite(sr, hostflags_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
