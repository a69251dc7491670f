// Node placement for the topology view, chosen to suit the topology's shape:
// a circle for complete graphs and rings (and star leaves around their hub),
// rows for lines, a grid for grids, layers for trees, and a force layout for
// random graphs and edge lists. Positions are normalised to the unit square;
// the view scales them. Everything here is deterministic.

/**
 * @param {string} shape  the scenario's topology shape ("edges" for a list)
 * @param {number} n      scenario nodes (processes 0..n-1)
 * @param {Array<[number, number]>} links undirected links among them
 * @param {number} extra  processes the protocol added (clients), placed aside
 * @returns {Array<[number, number]>}
 */
export function layout(shape, n, links, extra = 0) {
  let pos;
  switch (shape) {
    case "ring":
    case "complete":
      pos = circle(n);
      break;
    case "star":
      pos = star(n);
      break;
    case "line":
      pos = line(n);
      break;
    case "grid":
      pos = grid(n);
      break;
    case "tree":
      pos = tree(n, links, 0);
      break;
    default:
      pos = n <= 400 ? force(n, links) : circle(n);
  }
  if (extra > 0) pos = withExtras(pos, extra);
  return pos;
}

function circle(n) {
  if (n === 1) return [[0.5, 0.5]];
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    out.push([0.5 + 0.45 * Math.cos(a), 0.5 + 0.45 * Math.sin(a)]);
  }
  return out;
}

function star(n) {
  const out = [[0.5, 0.5]];
  for (let i = 1; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * (i - 1)) / (n - 1);
    out.push([0.5 + 0.45 * Math.cos(a), 0.5 + 0.45 * Math.sin(a)]);
  }
  return out;
}

function line(n) {
  // A single row while it stays readable, then a snake of rows.
  const perRow = n <= 10 ? n : Math.ceil(Math.sqrt(n * 2));
  const rows = Math.ceil(n / perRow);
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / perRow);
    let c = i % perRow;
    if (r % 2 === 1) c = perRow - 1 - c;
    out.push([perRow === 1 ? 0.5 : c / (perRow - 1), rows === 1 ? 0.5 : r / (rows - 1)]);
  }
  return out;
}

function grid(n) {
  let cols = 1;
  while (cols * cols < n) cols++;
  const rows = Math.ceil(n / cols);
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols), c = i % cols;
    out.push([cols === 1 ? 0.5 : c / (cols - 1), rows === 1 ? 0.5 : r / (rows - 1)]);
  }
  return out;
}

/** Layered layout: breadth-first from the root, leaves spread evenly, parents centred over children. */
function tree(n, links, root) {
  const adj = adjacency(n, links);
  const depth = new Array(n).fill(-1);
  const parent = new Array(n).fill(-1);
  const order = [];
  const roots = [root];
  for (let r = 0; r < n; r++) if (r !== root) roots.push(r);
  for (const r of roots) {
    if (depth[r] >= 0) continue;
    depth[r] = 0;
    const q = [r];
    while (q.length) {
      const u = q.shift();
      order.push(u);
      for (const v of adj[u]) {
        if (depth[v] < 0) { depth[v] = depth[u] + 1; parent[v] = u; q.push(v); }
      }
    }
  }
  const children = Array.from({ length: n }, () => []);
  for (const v of order) if (parent[v] >= 0) children[parent[v]].push(v);
  const x = new Array(n).fill(0);
  let next = 0;
  const place = (u) => {
    if (!children[u].length) { x[u] = next++; return; }
    for (const c of children[u]) place(c);
    x[u] = (x[children[u][0]] + x[children[u][children[u].length - 1]]) / 2;
  };
  for (const u of order) if (parent[u] < 0) place(u);
  const maxD = Math.max(...depth, 0);
  const w = Math.max(1, next - 1);
  return x.map((xi, i) => [next <= 1 ? 0.5 : xi / w, maxD === 0 ? 0.5 : depth[i] / maxD]);
}

/** Fruchterman–Reingold from a circle, a fixed number of rounds (deterministic). */
function force(n, links) {
  const pos = circle(n).map(([a, b]) => [a, b]);
  if (n <= 2) return pos;
  const k = Math.sqrt(1 / n) * 0.9;
  let temp = 0.1;
  const rounds = n <= 60 ? 300 : 120;
  const disp = pos.map(() => [0, 0]);
  for (let it = 0; it < rounds; it++) {
    for (const d of disp) { d[0] = 0; d[1] = 0; }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let dx = pos[i][0] - pos[j][0], dy = pos[i][1] - pos[j][1];
        let d2 = dx * dx + dy * dy;
        if (d2 < 1e-6) { dx = 1e-3 * (i - j); dy = 1e-3; d2 = dx * dx + dy * dy; }
        const f = (k * k) / d2;
        disp[i][0] += dx * f; disp[i][1] += dy * f;
        disp[j][0] -= dx * f; disp[j][1] -= dy * f;
      }
    }
    for (const [a, b] of links) {
      const dx = pos[a][0] - pos[b][0], dy = pos[a][1] - pos[b][1];
      const d = Math.sqrt(dx * dx + dy * dy) || 1e-3;
      const f = d / k;
      disp[a][0] -= dx * f; disp[a][1] -= dy * f;
      disp[b][0] += dx * f; disp[b][1] += dy * f;
    }
    for (let i = 0; i < n; i++) {
      const [dx, dy] = disp[i];
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const m = Math.min(d, temp);
      pos[i][0] += (dx / d) * m;
      pos[i][1] += (dy / d) * m;
    }
    temp = Math.max(0.002, temp * 0.985);
  }
  return normalise(pos);
}

function normalise(pos) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of pos) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  const s = Math.max(x1 - x0, y1 - y0) || 1;
  const ox = (1 - (x1 - x0) / s) / 2, oy = (1 - (y1 - y0) / s) / 2;
  return pos.map(([x, y]) => [ox + (x - x0) / s, oy + (y - y0) / s]);
}

/** Squeezes the nodes to the right and stacks the extra processes (clients) in a column on the left. */
function withExtras(pos, extra) {
  const out = pos.map(([x, y]) => [0.3 + 0.7 * x, y]);
  for (let i = 0; i < extra; i++) out.push([0, extra === 1 ? 0.5 : 0.15 + (0.7 * i) / (extra - 1)]);
  return out;
}

function adjacency(n, links) {
  const adj = Array.from({ length: n }, () => []);
  for (const [a, b] of links) {
    if (a < n && b < n) { adj[a].push(b); adj[b].push(a); }
  }
  for (const l of adj) l.sort((x, y) => x - y);
  return adj;
}
