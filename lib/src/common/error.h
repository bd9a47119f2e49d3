/* SPDX-License-Identifier: Apache-2.0 */
/* The internal side of the error codes of ktls.h. */
#ifndef KTLS_COMMON_ERROR_H
#define KTLS_COMMON_ERROR_H

#include "ktls/ktls.h"

/* The error for a protocol fault we found and answer with alert a. */
#define KTLS_ALERT_ERR(a) (-(KTLS_E_ALERT_SENT + (a)))

#endif
