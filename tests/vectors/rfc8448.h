/* SPDX-License-Identifier: Apache-2.0 */
/* Published values of RFC 8448 section 3 (simple 1-RTT handshake,
 * TLS_AES_128_GCM_SHA256, x25519), as hex. */
#ifndef KTLS_TEST_RFC8448_H
#define KTLS_TEST_RFC8448_H

#define R8448_ECDHE    "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"
#define R8448_EARLY    "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"
#define R8448_HS       "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"
#define R8448_HS_HASH  "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"
#define R8448_C_HS     "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define R8448_S_HS     "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define R8448_MASTER   "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"
#define R8448_AP_HASH  "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"
#define R8448_C_AP     "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define R8448_S_AP     "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"
#define R8448_S_HS_KEY "3fce516009c21727d0f2e4e86ee403bc"
#define R8448_S_HS_IV  "5d313eb2671276ee13000b30"
#define R8448_C_HS_KEY "dbfaa693d1762c5b666af5d950258d01"
#define R8448_C_HS_IV  "5bd3c71b836e0b76bb73265f"
#define R8448_S_AP_KEY "9f02283b6c9c07efc26bb9f2ac92e356"
#define R8448_S_AP_IV  "cf782b88dd83549aadf1e984"

/* Client application data record, seq 0 under client_application_traffic_secret_0;
 * the payload is the 50 bytes 00 01 02 ... 31. */
#define R8448_C_APP_REC                                                                            \
	"1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a"   \
	"9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4"
/* Server application data record, seq 1 under server_application_traffic_secret_0
 * (seq 0 carried the NewSessionTicket); same 50-byte payload. */
#define R8448_S_APP_REC                                                                            \
	"17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602d"   \
	"cb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d"
/* Client close_notify, seq 1 under the client application key. */
#define R8448_C_ALERT_REC "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3"
/* Client Finished, seq 0 under the client handshake key. */
#define R8448_C_FIN_REC                                                                            \
	"170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46"   \
	"deb384bd1caeacab6867d726c40546"

#endif
