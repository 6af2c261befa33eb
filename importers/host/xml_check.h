/* What hwloc's XML import cannot be trusted with, refused before it sees the text. hwloc 2.9
 * (Debian 12) crashes on some inputs that a fuzzer finds in seconds (an object with a cpuset
 * but no complete_cpuset dereferences NULL), takes half a minute and 512 MB over a PU without an
 * os_index, and recurses once per element level; this scan of
 * the tags refuses those shapes with a message instead. It is not an XML validator: what it
 * lets through, hwloc still parses and may reject. Pure; reentrant. */
#ifndef LS_IMPORTERS_HOST_XML_CHECK_H
#define LS_IMPORTERS_HOST_XML_CHECK_H

#include <stddef.h>

#include "common/err.h"

/** Deepest element nesting accepted (a real topology nests ~20 levels: machine, package,
 *  die, caches, core, PU, groups, a chain of PCI bridges). */
#define LS_HOST_XML_MAX_DEPTH 64

/**
 * Scans the tags of xml[0..len) (no terminator needed): every start tag is well-formed
 * (`<name attr="value" ...>` or `/>`), elements nest at most LS_HOST_XML_MAX_DEPTH deep, and
 * every <object> element
 *  - that names a cpuset (nodeset) names its complete_cpuset (complete_nodeset) too, and the
 *    other way round, each in hwloc's bitmap form ("0x0000ffff,0x00000000") naming no index
 *    past LS_HOST_MAX_CPU_INDEX, the set inside the complete set, the complete sets inside
 *    those of the closest enclosing object that has sets;
 *  - of type PU or NUMANode has an os_index from 0 to LS_HOST_MAX_CPU_INDEX.
 * @return LS_OK; LS_EINVAL (code "invalid_topology", naming the byte offset); LS_ELIMIT (code
 *         "topology_too_deep").
 */
LS_MUST_CHECK int ls_host_xml_check(const char *xml, size_t len, struct ls_err *err);

#endif
