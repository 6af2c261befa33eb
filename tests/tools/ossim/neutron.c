#include "tests/tools/ossim/ossim_int.h"
void neutron_handle(struct req *r)
{
    req_error(r, 404, "x");
}
