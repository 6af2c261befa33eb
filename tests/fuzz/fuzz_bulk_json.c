/* libFuzzer target: a bulk gear file in JSON, the POST /v1/bulk body (fuzz_bulk.h). */
#include "tests/fuzz/fuzz_bulk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_bulk(LS_BULK_JSON, data, size);
}
