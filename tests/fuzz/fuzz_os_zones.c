/* libFuzzer target: the OpenStack answer mapping of the "availabilityZoneInfo" collection
 * (fuzz_os_map.h). */
#include "tests/fuzz/fuzz_os_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_os_map("availabilityZoneInfo", data, size);
}
