/* libFuzzer target: hwloc XML, the PUT /v1/hosts/{h}/topology body with Content-Type
 * application/xml (`hwloc-ls --of xml`). Seeds: tests/data/hwloc/. */
#include "tests/fuzz/fuzz_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_host_body(LS_HOST_BODY_XML, data, size);
}
