/* Telemetry generator: renders realistic records in every supported producer format for a
 * set of targets (VMs with their host and tap device), for the demo, tests and benchmarks.
 * Pure rendering here; producing to Kafka is done by the callers (demo stream, the
 * landscape-telemetry-gen tool). */
#ifndef LS_TEL_GENERATOR_H
#define LS_TEL_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "importers/telemetry/fault.h"
#include "importers/telemetry/sample.h"
#include "model/graph.h"

struct ls_tel_gen_target {
    char instance[40]; /* instance UUID */
    char domain[32];   /* libvirt domain name */
    char host[128];    /* compute host (service host name) */
    char tap[32];      /* tap device of its first port, or "" */
    uint64_t counter;  /* running cumulative counter (bytes), advanced by the generator */
    int64_t last_us;   /* time of the last record rendered (0: none): the counter grows by
                          the traffic rate times the time since, whatever the records' spacing */
    uint8_t role;      /* enum ls_fault_role under the fault given to ls_tel_gen_render_fault */
};

/** What a physical device's line reports. */
enum ls_tel_gen_device_kind {
    LS_TEL_DEV_SWITCH = 0, /* a switch's ports, polled by its host name */
    LS_TEL_DEV_NIC,        /* a machine's NIC, from the host's agent, named by its MAC */
};

/** A physical device the stream reports on, as a data centre's own collectors would. */
struct ls_tel_gen_device {
    enum ls_tel_gen_device_kind kind;
    char node[160]; /* the device's node id */
    char of[160];   /* the node whose fault role it shares: a NIC's machine, else itself */
    char host[128]; /* the host tag: the switch's or the machine's name */
    char mac[32];   /* a NIC's MAC (its alias); else "" */
    double traffic; /* its mean traffic, bytes/s */
    uint8_t role;   /* enum ls_fault_role under the fault given to ls_tel_gen_render_device */
};

/** Devices from the live graph: every switch, and every NIC with a MAC in a machine. Caller
 *  frees *out. */
size_t ls_tel_gen_devices(struct ls_graph *g, struct ls_tel_gen_device **out);

/**
 * Appends one Influx line for device d at time t_us under fault `fault` (NULL: none) as
 * d->role sees it: a switch's `snmp_if,host=NAME if_octets=B/s,if_errors=N/s` (the telemetry
 * importer resolves the name by alias), a NIC's `net,host=MACHINE,interface=MAC bytes=B/s`
 * (the MAC resolves to the NIC), the values a daily wave with noise from seq
 * through ls_fault_effect (fault.h). Appends nothing when the fault silences the device (a
 * dead switch).
 */
LS_MUST_CHECK int ls_tel_gen_render_device(const struct ls_tel_gen_device *d,
                                           int64_t t_us,
                                           uint64_t seq,
                                           const struct ls_fault *fault,
                                           struct ls_buf *out);

/** Targets from the live graph: every instance with its libvirt name, host and tap. Caller
 *  frees *out. */
size_t ls_tel_gen_targets(struct ls_graph *g, struct ls_tel_gen_target **out);

/**
 * Appends one record for target tg at time t_us in format f (LS_TEL_AUTO = rotate through all
 * formats by seq). The values follow a smooth pattern with noise from seq.
 */
LS_MUST_CHECK int ls_tel_gen_render(enum ls_tel_format f,
                                    struct ls_tel_gen_target *tg,
                                    int64_t t_us,
                                    uint64_t seq,
                                    struct ls_buf *out);

/**
 * ls_tel_gen_render under fault `fault` (NULL: none) as tg->role sees it: CPU, traffic and
 * memory go through ls_fault_effect (fault.h), the code the scenario generator uses too.
 * Appends nothing when the fault silences the value (a NaN effect).
 */
LS_MUST_CHECK int ls_tel_gen_render_fault(enum ls_tel_format f,
                                          struct ls_tel_gen_target *tg,
                                          int64_t t_us,
                                          uint64_t seq,
                                          const struct ls_fault *fault,
                                          struct ls_buf *out);

#endif
