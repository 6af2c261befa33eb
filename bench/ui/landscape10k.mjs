// A generated landscape of about 10k nodes, posted through POST /v1/bulk (docs/api.md) in
// chunks under the server's body limit: 1 site, RACKS racks of MACHINES machines, one
// hypervisor on each machine with VMS instances, a port per instance, a volume on every third
// instance. Edges: site contains rack contains machine; hypervisor runs_on machine; instance
// runs_on hypervisor; port and volume attached_to instance.
//
// Usage: node landscape10k.mjs <base url>   (env RACKS=20 MACHINES=20 VMS=10)
const base = process.argv[2];
const RACKS = Number(process.env.RACKS || 20);
const MACHINES = Number(process.env.MACHINES || 20);
const VMS = Number(process.env.VMS || 10);

const nodes = [];
const edges = [];
const node = (type, name) => {
  nodes.push({ type, name });
  return `manual:${type}:${name}`;
};
const site = node("site", "dc1");
for (let r = 1; r <= RACKS; r++) {
  const rack = node("rack", `r${r}`);
  edges.push({ src: site, type: "contains", dst: rack });
  for (let m = 1; m <= MACHINES; m++) {
    const host = `r${r}-m${m}`;
    const machine = node("machine", host);
    edges.push({ src: rack, type: "contains", dst: machine });
    const hv = node("hypervisor", `hv-${host}`);
    edges.push({ src: hv, type: "runs_on", dst: machine });
    for (let v = 1; v <= VMS; v++) {
      const vm = node("instance", `vm-${host}-${v}`);
      edges.push({ src: vm, type: "runs_on", dst: hv });
      edges.push({ src: node("port", `port-${host}-${v}`), type: "attached_to", dst: vm });
      if (v % 3 === 0) edges.push({ src: node("volume", `vol-${host}-${v}`), type: "attached_to", dst: vm });
    }
  }
}

async function post(doc) {
  const r = await fetch(base + "/v1/bulk", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
  if (r.status !== 200) throw new Error(`POST /v1/bulk: ${r.status} ${await r.text()}`);
}
// nodes first (chunks of 3000), then the edges (each chunk's ends are in the graph by then)
const CHUNK = 3000;
for (let i = 0; i < nodes.length; i += CHUNK) await post({ nodes: nodes.slice(i, i + CHUNK) });
for (let i = 0; i < edges.length; i += CHUNK) await post({ edges: edges.slice(i, i + CHUNK) });
console.log(JSON.stringify({ nodes: nodes.length, edges: edges.length }));
