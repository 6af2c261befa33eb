/* libFuzzer target: the agent's JSON document, the PUT /v1/hosts/{h}/topology body with
 * Content-Type application/json (hwloc XML inside, NIC facts, LLDP neighbours, aliases).
 * Seeds: agent documents built from tests/data/hwloc/ and tests/data/lldp/. */
#include "tests/fuzz/fuzz_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_host_body(LS_HOST_BODY_AGENT, data, size);
}
