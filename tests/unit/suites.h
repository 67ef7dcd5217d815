/* The unit-test suites, one per file; main.c runs them all. */
#ifndef SHADE86_UNIT_SUITES_H
#define SHADE86_UNIT_SUITES_H

#include <check.h>

Suite *alu_suite(void);
Suite *shift_suite(void);
Suite *muldiv_suite(void);
Suite *bcd_suite(void);
Suite *bitops_suite(void);
Suite *data_suite(void);
Suite *string_suite(void);
Suite *branch_suite(void);
Suite *system_suite(void);
Suite *decoder_suite(void);
Suite *paging_suite(void);
Suite *interrupts_suite(void);
Suite *mem_suite(void);
Suite *shadow_suite(void);
Suite *fwcfg_suite(void);
Suite *x87_suite(void);
Suite *uart_suite(void);
Suite *kbc_suite(void);
Suite *pic_suite(void);
Suite *pit_suite(void);
Suite *rtc_suite(void);
Suite *pci_suite(void);
Suite *vga_suite(void);
Suite *ata_suite(void);
Suite *acpi_suite(void);
Suite *linuxboot_suite(void);
Suite *atomic_suite(void);
Suite *optable_suite(void);
Suite *hostflags_suite(void);

#endif
