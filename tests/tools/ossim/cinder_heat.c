#include "tests/tools/ossim/ossim_int.h"
void cinder_handle(struct req *r)
{
    req_error(r, 404, "x");
}
void heat_handle(struct req *r)
{
    req_error(r, 404, "x");
}
