/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ktls/ktls.h"

static const uint16_t suites[] = {KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
				  KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_TLS_AES_128_CCM_SHA256};

/* The counters of /proc/net/tls_stat and what each one means. */
static const struct {
	const char *name, *meaning;
} counters[] = {
	{"TlsCurrTxSw", "sockets now sending through software kTLS"},
	{"TlsCurrRxSw", "sockets now receiving through software kTLS"},
	{"TlsCurrTxDevice", "sockets now sending through NIC offload"},
	{"TlsCurrRxDevice", "sockets now receiving through NIC offload"},
	{"TlsTxSw", "sending directions ever set up in software"},
	{"TlsRxSw", "receiving directions ever set up in software"},
	{"TlsTxDevice", "sending directions ever set up on a NIC"},
	{"TlsRxDevice", "receiving directions ever set up on a NIC"},
	{"TlsDecryptError", "records that failed to authenticate (connection broken)"},
	{"TlsRxDeviceResync", "NIC receive resynchronisations"},
	{"TlsDecryptRetry", "records decrypted twice (zero-copy guess was wrong)"},
	{"TlsRxNoPadViolation", "records padded despite TLS_RX_EXPECT_NO_PAD"},
	{"TlsTxRekeyOk", "sending keys replaced (TLS 1.3 KeyUpdate)"},
	{"TlsTxRekeyError", "sending key replacements refused"},
	{"TlsRxRekeyOk", "receiving keys replaced"},
	{"TlsRxRekeyError", "receiving key replacements refused"},
	{"TlsRxRekeyReceived", "KeyUpdate records received (reads paused until re-key)"},
};

static const char *meaning_of(const char *name)
{
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (!strcmp(counters[i].name, name))
			return counters[i].meaning;
	return "(not known to this version of ktls-ctl)";
}

/* Prints the kernel's TLS counters, human or JSON; 0 if there were any. */
static int print_counters(int json)
{
	FILE *f = fopen("/proc/net/tls_stat", "r");
	char name[64];
	unsigned long long v;
	int n = 0;
	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (json)
			printf("%s\"%s\":%llu", n ? "," : "", name, v);
		else
			printf("  %-22s %12llu  %s\n", name, v, meaning_of(name));
		n++;
	}
	fclose(f);
	return 0;
}

static void print_json(const struct ktls_kernel_info *in)
{
	printf("{\"tls\":%s,\"reason\":", in->tls ? "false" : "true");
	if (in->tls)
		printf("\"%s\"", ktls_strerror(in->tls));
	else
		printf("null");
	printf(",\"suites\":{");
	for (size_t i = 0; i < 4; i++)
		printf("%s\"%s\":%s", i ? "," : "", ktls_suite_name(suites[i]),
		       in->suites & KTLS_SUITE_BIT(suites[i]) ? "true" : "false");
	printf("},\"rekey\":%s,\"rx_no_pad\":%s,\"tx_zerocopy\":%s,\"tx_max_payload\":%s,"
	       "\"counters\":{",
	       in->rekey == 1	? "true"
	       : in->rekey == 0 ? "false"
				: "null",
	       in->rx_no_pad ? "true" : "false", in->tx_zerocopy ? "true" : "false",
	       in->tx_max_payload ? "true" : "false");
	print_counters(1);
	printf("}}\n");
}

int cmd_status(int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: ktls-ctl status [--json]\n\nProbes the running kernel on a "
			       "private loopback connection: tls module, TLS 1.3\nciphers, re-key "
			       "support, and the no-pad and zero-copy options.\nExit 0 if kernel "
			       "TLS is available, 3 if not.\n");
			return CTL_OK;
		} else {
			fprintf(stderr, "ktls-ctl status: unknown option '%s'\n", argv[i]);
			return CTL_USAGE;
		}
	}
	struct ktls_kernel_info in;
	int err = ktls_probe_kernel(&in, 0);
	if (err) {
		fprintf(stderr, "ktls-ctl status: cannot probe: %s\n", ktls_strerror(err));
		return CTL_FAIL;
	}
	if (json) {
		print_json(&in);
		return in.tls ? CTL_NO_KTLS : CTL_OK;
	}
	if (in.tls) {
		printf("kernel TLS: NOT available: %s\n", ktls_strerror(in.tls));
		printf("  (the library falls back to its userspace record layer)\n");
		return CTL_NO_KTLS;
	}
	printf("kernel TLS: available\n");
	for (size_t i = 0; i < 4; i++)
		printf("  %-30s %s\n", ktls_suite_name(suites[i]),
		       in.suites & KTLS_SUITE_BIT(suites[i]) ? "yes" : "no");
	printf("  %-30s %s\n", "re-key (TLS 1.3 KeyUpdate)",
	       in.rekey == 1   ? "yes"
	       : in.rekey == 0 ? "no (kernel refuses a second key: EBUSY)"
			       : ktls_strerror(in.rekey));
	printf("  %-30s %s\n", "TLS_RX_EXPECT_NO_PAD", in.rx_no_pad ? "yes" : "no");
	printf("  %-30s %s\n", "TLS_TX_ZEROCOPY_RO", in.tx_zerocopy ? "yes" : "no");
	printf("  %-30s %s\n", "TLS_TX_MAX_PAYLOAD_LEN",
	       in.tx_max_payload ? "yes (record size limit, RFC 8449)" : "no");
	printf("\n/proc/net/tls_stat:\n");
	if (print_counters(0))
		printf("  (not readable)\n");
	return CTL_OK;
}
