"""Where the nodes and open legs of a diagram go in a picture.

Penrose pictures are read like text: a matrix chain or a tensor train runs in a
row, its conjugate (the bra of a norm) in a second row under it, open legs
point away from the drawing.  A force-directed layout makes a chain look like a
random zig-zag, so the structures people draw by hand are recognised first and
laid out by rule; only what is left goes to networkx (`kamada_kawai_layout`,
which starts from a circular layout and is therefore deterministic).

Everything here is plain arithmetic on the port graph: no drawing library is
needed, so the layout can be tested (and reused by the TikZ writer) without
matplotlib.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import networkx as nx

from ..core.diagram import BOUNDARY, Diagram, TensorNode
from . import placement
from .placement import is_conj as _is_conj, name as _name

Point = tuple[float, float]

SPACING = 1.6  # distance between neighbouring nodes in a row
LEG = 0.9  # length of an open leg
FAN = math.radians(32)  # angle between open legs sharing one side of a node
GAP = 0.7  # space between disconnected parts
NODE_HALF = 0.3  # half the width of an ordinary node's shape
CLEAR = SPACING - 2 * NODE_HALF  # free room between the outlines of two neighbours


@dataclass(frozen=True)
class Layout:
    """Positions for one diagram, in drawing units (y points up).

    `free_ends[k]` is the open end of free leg k (where its name is written)
    and `free_dirs[k]` the unit vector it points along.  `rows` places a node
    laid out in a row as (row id, position in the row): a wire between two
    nodes of one row that are not neighbours is drawn as an arc on the row's
    `arc_side` (+1 above, -1 below), so that it does not run through the nodes
    between them.
    """

    nodes: dict[int, Point] = field(default_factory=dict)
    free_ends: dict[int, Point] = field(default_factory=dict)
    free_dirs: dict[int, Point] = field(default_factory=dict)
    rows: dict[int, tuple[int, int]] = field(default_factory=dict)
    arc_side: dict[int, int] = field(default_factory=dict)
    extents: dict[int, Point] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)  # what each node is, for `follow`
    leg_names: tuple[str, ...] = ()


def arc_height(dx: float) -> float:
    """How far an arc between two nodes of a row, dx apart, bulges out."""
    return 0.45 + 0.18 * abs(dx) / SPACING


def arc_lift(rows: Mapping[int, tuple[int, int]], extents: Mapping[int, Point], u: int, w: int) -> float:
    """Extra bulge an arc from u to w (one row) needs to clear the big nodes
    (bubbles) it passes over or leaves from: their half height beyond an
    ordinary node's."""
    rid, a = rows[u]
    b = rows[w][1]
    lo, hi = min(a, b), max(a, b)
    return max([extents[v][1] - NODE_HALF for v, (r, pos) in rows.items()
                if r == rid and lo <= pos <= hi and v in extents] + [0.0])


def reach(half: Point, u: Point) -> float:
    """Distance from a box's centre to its border along the unit vector u."""
    hx, hy = half
    tx = hx / abs(u[0]) if abs(u[0]) > 1e-9 else math.inf
    ty = hy / abs(u[1]) if abs(u[1]) > 1e-9 else math.inf
    return min(tx, ty)


# ------------------------------------------------------------------- the graph


def simple_graph(d: Diagram) -> nx.Graph:
    """Simple graph on node ids and ("free", k), inserted in a fixed order."""
    g = nx.Graph()
    g.add_nodes_from(sorted(d.nodes))
    g.add_nodes_from(("free", k) for k in range(len(d.free)))
    for (u, i), (w, j) in sorted(d.wires()):
        a = ("free", i) if u == BOUNDARY else u
        b = ("free", j) if w == BOUNDARY else w
        if a != b:
            g.add_edge(a, b)
    return g


def free_ports(d: Diagram, v: int) -> list[tuple[int, int]]:
    """(port, free-leg index) for every port of v that is an open leg."""
    out = []
    for i in range(d.nodes[v].arity):
        u, k = d.link[(v, i)]
        if u == BOUNDARY:
            out.append((i, k))
    return out


def _node_key(d: Diagram, v: int) -> tuple:
    """Order of preference for the first node of a row: first open leg, then id."""
    ks = [k for _, k in free_ports(d, v)]
    return (min(ks) if ks else math.inf, v)


def _comp_key(comp) -> tuple:
    frees = [v[1] for v in comp if isinstance(v, tuple)]
    nodes = [v for v in comp if isinstance(v, int)]
    return (0, min(frees)) if frees else (1, min(nodes))


def _is_path(h: nx.Graph) -> bool:
    n = h.number_of_nodes()
    if n == 0 or not nx.is_connected(h):
        return False
    return n == 1 or (h.number_of_edges() == n - 1 and max(dict(h.degree).values()) <= 2)


def _is_cycle(h: nx.Graph) -> bool:
    n = h.number_of_nodes()
    return n >= 3 and nx.is_connected(h) and all(deg == 2 for _, deg in h.degree)


def _walk(h: nx.Graph, start: int, second: int | None) -> list[int]:
    order = [start]
    prev, cur = None, start
    nxt = second
    while nxt is not None:
        order.append(nxt)
        prev, cur = cur, nxt
        options = sorted(w for w in h[cur] if w != prev and w not in order)
        nxt = options[0] if options else None
    return order


def _path_order(d: Diagram, h: nx.Graph) -> list[int]:
    ends = [v for v in h if h.degree(v) <= 1]
    start = min(ends, key=lambda v: _node_key(d, v))
    nbrs = sorted(h[start])
    return _walk(h, start, nbrs[0] if nbrs else None)


def _small_ends(row: list[int], ext: Mapping[int, Point]) -> list[int]:
    """A cycle's row turned (never reversed) so that the arc closing it joins
    two ordinary nodes where it can: an arc leaving a bubble's side would run
    back through the bubble."""
    for r in range(len(row)):
        turned = row[r:] + row[:r]
        if turned[0] not in ext and turned[-1] not in ext:
            return turned
    return row


def _cycle_order(d: Diagram, h: nx.Graph) -> list[int]:
    """Start at the preferred node and leave it by its highest-numbered port, so
    that `A[i, j] B[j, k] C[k, i]` reads A, B, C (A's port j leads to B)."""
    start = min(h, key=lambda v: _node_key(d, v))
    second = None
    for i in reversed(range(d.nodes[start].arity)):
        w = d.link[(start, i)][0]
        if w in h and w != start:
            second = w
            break
    return _walk(h, start, second)


# ------------------------------------------------------------- open-leg rules


def _unit(angle: float) -> Point:
    return (math.cos(angle), math.sin(angle))


def _fan(centre: float, m: int, clockwise: bool = True) -> list[float]:
    """m angles around `centre`, listed in reading order (port order)."""
    sign = -1.0 if clockwise else 1.0
    return [centre - sign * FAN * ((m - 1) / 2 - j) for j in range(m)]


def _single_dirs(d: Diagram, v: int) -> dict[int, float]:
    """Open legs of a lone node: an arrow-declared tensor puts its wide side on
    the left and its tip side on the right (so a triangle points right); other
    tensors spread their legs from left over the top to right."""
    node = d.nodes[v]
    frees = free_ports(d, v)
    split = node.split if isinstance(node, TensorNode) else node.arity
    out: dict[int, float] = {}
    if 0 < split < node.arity:
        wide = [k for i, k in frees if i < split]
        tip = [k for i, k in frees if i >= split]
        for k, a in zip(wide, _fan(math.pi, len(wide), clockwise=False)):
            out[k] = a
        for k, a in zip(tip, _fan(0.0, len(tip))):
            out[k] = a
        return out
    n = len(frees)
    if n == 1:
        angles = [math.pi]
    elif n <= 4:
        angles = [math.pi - math.pi * j / (n - 1) for j in range(n)]
    else:
        angles = [math.pi - 2 * math.pi * j / n for j in range(n)]
    return {k: a for (_, k), a in zip(frees, angles)}


def _row_dirs(d: Diagram, row: list[int], side: int) -> dict[int, float]:
    """Open legs of a row.  In a matrix chain only the two ends have open legs,
    and they point outward; in a tensor train (an inner node has an open leg)
    the open legs are the physical legs and point away from the other row."""
    inner_free = any(free_ports(d, v) for v in row[1:-1])
    out: dict[int, float] = {}
    for pos, v in enumerate(row):
        frees = [k for _, k in free_ports(d, v)]
        first, last = pos == 0, pos == len(row) - 1
        if first and frees and (not inner_free or len(frees) >= 2 or last):
            out[frees.pop(0)] = math.pi
        if last and frees and (not inner_free or len(frees) >= 2 or first):
            out[frees.pop()] = 0.0
        vertical = math.pi / 2 if side > 0 else -math.pi / 2
        for k, a in zip(frees, _fan(vertical, len(frees), clockwise=side > 0)):
            out[k] = a
    return out


# ------------------------------------------------------------------ the parts


@dataclass
class Part:
    nodes: dict[int, Point] = field(default_factory=dict)
    ends: dict[int, Point] = field(default_factory=dict)
    dirs: dict[int, Point] = field(default_factory=dict)
    rows: dict[int, tuple[int, int]] = field(default_factory=dict)
    side: dict[int, int] = field(default_factory=dict)
    extra: list[Point] = field(default_factory=list)  # arc extremes and boxes, for the bbox

    def bbox(self) -> tuple[float, float, float, float]:
        pts = [(x, y) for (x, y) in self.nodes.values()]
        xs = [x for x, _ in pts] + [x for x, _ in self.ends.values()]
        ys = [y for _, y in pts] + [y for _, y in self.ends.values()]
        xs += [x for x, _ in self.extra]
        ys += [y for _, y in self.extra]
        return (min(xs) - 0.5, min(ys) - 0.5, max(xs) + 0.5, max(ys) + 0.5)

    def shifted(self, dx: float, dy: float) -> "Part":
        def mv(p: Point) -> Point:
            return (p[0] + dx, p[1] + dy)

        return Part({v: mv(p) for v, p in self.nodes.items()},
                     {k: mv(p) for k, p in self.ends.items()}, dict(self.dirs),
                     dict(self.rows), dict(self.side), [mv(p) for p in self.extra])


Extents = Mapping[int, Point]
Prefer = Mapping[str, Point]  # wanted direction of an open leg, by name


def _half(ext: Extents, v: int) -> Point:
    return ext.get(v, (NODE_HALF, NODE_HALF))


def set_leg(part: Part, k: int, v: int, angle: float, ext: Extents) -> None:
    """Open leg k leaves node v; from a big node (a bubble) it starts at the border."""
    u = _unit(angle)
    start = part.nodes[v]
    r = reach(ext[v], u) if v in ext else 0.0
    part.dirs[k] = u
    part.ends[k] = (start[0] + (r + LEG) * u[0], start[1] + (r + LEG) * u[1])


def _boxes(part: Part, ext: Extents) -> None:
    for v, (x, y) in part.nodes.items():
        if v in ext:
            hx, hy = ext[v]
            part.extra += [(x - hx, y - hy), (x + hx, y + hy)]


def _row_xs(row: list[int], ext: Extents) -> list[float]:
    """Centres along a row: SPACING apart for ordinary nodes, more around bubbles."""
    xs = [0.0]
    for a, b in zip(row, row[1:]):
        xs.append(xs[-1] + max(SPACING, _half(ext, a)[0] + _half(ext, b)[0] + CLEAR))
    return xs


def _row_ys(rows: list[list[int]], ext: Extents) -> list[float]:
    hs = [max(_half(ext, v)[1] for v in row) for row in rows]
    ys = [0.0]
    for a, b in zip(hs, hs[1:]):
        ys.append(ys[-1] - max(SPACING, a + b + CLEAR))
    return ys


def _rows_part(d: Diagram, rows: list[list[int]], xs: list[list[float]],
               leg_sides: list[int], arc_sides: list[int], row_ids: list[int],
               ext: Extents) -> Part:
    """Rows top to bottom; open legs leave on `leg_sides`, arcs on `arc_sides`."""
    part = Part()
    ys = _row_ys(rows, ext)
    for r, (row, rx, side, arc, rid) in enumerate(zip(rows, xs, leg_sides, arc_sides, row_ids)):
        for pos, (v, x) in enumerate(zip(row, rx)):
            part.nodes[v] = (x, ys[r])
            part.rows[v] = (rid, pos)
            part.side[v] = arc
        if len(row) == 1 and len(rows) == 1:
            dirs = _single_dirs(d, row[0])
        else:
            dirs = _row_dirs(d, row, side)
        for v in row:
            for _, k in free_ports(d, v):
                set_leg(part, k, v, dirs[k], ext)
    # Room for arcs between non-neighbours and for self-loops.
    for (u, i), (w, j) in d.wires():
        if u in part.nodes and w in part.nodes:
            (x0, y0), (x1, _) = part.nodes[u], part.nodes[w]
            if u == w:
                part.extra.append((x0, y0 + part.side[u] * (1.0 + _half(ext, u)[1] - NODE_HALF)))
            elif part.rows[u][0] == part.rows[w][0] and abs(part.rows[u][1] - part.rows[w][1]) > 1:
                lift = arc_height(x1 - x0) + arc_lift(part.rows, ext, u, w)
                part.extra.append(((x0 + x1) / 2, y0 + part.side[u] * lift))
    _boxes(part, ext)
    return part


def _align(t: list[int], b: list[int], h: nx.Graph) -> list[int]:
    """Orient row b to follow its rungs to row t."""
    tx = {v: i for i, v in enumerate(t)}

    def cost(order: list[int]) -> float:
        c = 0.0
        for i, v in enumerate(order):
            ups = [tx[w] for w in h[v] if w in tx]
            if ups:
                c += (i - sum(ups) / len(ups)) ** 2
        return c

    return b[::-1] if cost(b[::-1]) < cost(b) else b


def _ladder(d: Diagram, h: nx.Graph) -> tuple[list[int], list[int]] | None:
    """A tensor train over its conjugate: plain nodes in one path, conjugated
    nodes in another.  Returns the two rows, the lower one oriented to follow
    the rungs."""
    top = [v for v in h if not _is_conj(d.nodes[v])]
    bot = [v for v in h if _is_conj(d.nodes[v])]
    if not top or not bot:
        return None
    ht, hb = h.subgraph(top), h.subgraph(bot)
    if not (_is_path(ht) and _is_path(hb)):
        return None
    t = _path_order(d, ht)
    return t, _align(t, _path_order(d, hb), h)


def _rungs(d: Diagram, h: nx.Graph) -> tuple[list[int], list[int]] | None:
    """A ladder by shape alone (the ten-tensor ladder of a contraction): two
    rows of equal length with a rung in every column, and no other wire.

    Starting at a corner (a node of degree 2), one neighbour is taken as the
    next node of its row and the other as its rung partner; the two rows are
    then walked in step, each new pair having to be joined by a rung.  A wrong
    guess runs into a dead end, so at most two guesses per corner are tried;
    the first corner in reading order that works puts its row on top."""
    n = h.number_of_nodes()
    if n < 6 or n % 2 or h.number_of_edges() != 3 * (n // 2) - 2:
        return None
    corners = sorted((v for v in h if h.degree(v) == 2), key=lambda v: _node_key(d, v))
    for c in corners:
        for partner in sorted(h[c]):
            t, b = [c], [partner]
            used = {c, partner}
            while True:
                nt = [w for w in h[t[-1]] if w not in used]
                nb = [w for w in h[b[-1]] if w not in used]
                pairs = [(x, y) for x in nt for y in nb if x != y and h.has_edge(x, y)]
                if len(pairs) != 1:
                    break
                x, y = pairs[0]
                t.append(x)
                b.append(y)
                used |= {x, y}
            if len(used) == n:
                return t, b
    return None


def _sandwich(d: Diagram, h: nx.Graph) -> tuple[list[int], list[int], list[int]] | None:
    """⟨ψ|O|ψ⟩: a train ψ on top (the plain nodes whose tensors occur
    conjugated too), the conjugated train below, and the operators between
    (the other plain nodes: one per site, or an operator train).  The graph
    alone cannot tell an operator from a site of ψ that meets its conjugate
    directly; the names can.  Returns the three rows, the middle one ordered by
    the sites its nodes hang from."""
    bot = [v for v in h if _is_conj(d.nodes[v])]
    mirrored = {_name(d.nodes[v]) for v in bot}
    plain = [v for v in h if not _is_conj(d.nodes[v])]
    top = [v for v in plain if _name(d.nodes[v]) in mirrored]
    mid = [v for v in plain if v not in top]
    if not top or not mid or not bot:
        return None
    ht, hb, hm = h.subgraph(top), h.subgraph(bot), h.subgraph(mid)
    if not (_is_path(ht) and _is_path(hb)):
        return None
    if not all(deg <= 2 for _, deg in hm.degree) or nx.cycle_basis(hm):
        return None  # the operators are single sites or trains, never a web
    t = _path_order(d, ht)
    tx = {v: i for i, v in enumerate(t)}

    def site(v: int) -> float:
        ups = [tx[w] for w in h[v] if w in tx]
        return sum(ups) / len(ups) if ups else math.inf

    chains = [_path_order(d, hm.subgraph(c)) for c in nx.connected_components(hm)]
    chains = [_align(t, c, h) if len(c) > 1 else c for c in chains]
    chains.sort(key=lambda c: (min(site(v) for v in c), c[0]))
    m = [v for c in chains for v in c]
    return t, m, _align(t, _path_order(d, hb), h)


def _site_xs(row: list[int], ref: dict[int, float], h: nx.Graph, ext: Extents) -> list[float]:
    """Centres for a row hanging from a placed row: each node under the mean of
    its neighbours there, pushed right where it would crowd its left neighbour."""
    xs: list[float] = []
    for i, v in enumerate(row):
        ups = [ref[w] for w in h[v] if w in ref]
        want = sum(ups) / len(ups) if ups else (xs[-1] + SPACING if xs else 0.0)
        if xs:
            want = max(want, xs[-1] + max(SPACING, _half(ext, row[i - 1])[0] + _half(ext, v)[0] + CLEAR))
        xs.append(want)
    return xs


def _force_part(d: Diagram, g: nx.Graph, comp: list, ext: Extents, prefer: Prefer | None = None) -> Part:
    def want(a, b) -> float:
        """Wanted length of a wire, in units of SPACING: longer at a bubble."""
        if not (isinstance(a, int) and isinstance(b, int)):
            return 1.0 + max((_half(ext, v)[0] - NODE_HALF) / SPACING for v in (a, b) if isinstance(v, int))
        return max(SPACING, _half(ext, a)[0] + _half(ext, b)[0] + CLEAR) / SPACING

    sub = nx.Graph()
    sub.add_nodes_from(comp)
    sub.add_edges_from(sorted(((a, b, {"w": want(a, b)}) for a, b in g.subgraph(comp).edges), key=str))
    pos = nx.kamada_kawai_layout(sub, weight="w")
    pos = _turned(d, pos, prefer) if prefer else _level(pos)
    nodes = [v for v in comp if isinstance(v, int)]
    lengths = [math.dist(pos[a], pos[b]) / want(a, b) for a, b in sub.edges
               if isinstance(a, int) and isinstance(b, int)]
    scale = SPACING / (sum(lengths) / len(lengths)) if lengths and sum(lengths) > 0 else SPACING
    # Big nodes (bubbles) need more room than the force layout gives points.
    for a in nodes:
        for b in nodes:
            if a < b and (a in ext or b in ext):
                ha, hb = _half(ext, a), _half(ext, b)
                dist = math.dist(pos[a], pos[b]) * scale
                need = math.hypot(ha[0] + hb[0], ha[1] + hb[1]) + CLEAR
                if dist > 1e-9 and dist < need:
                    scale *= need / dist
    part = Part()
    for v in nodes:
        part.nodes[v] = (float(pos[v][0]) * scale, float(pos[v][1]) * scale)
    for v in nodes:
        for _, k in free_ports(d, v):
            c = part.nodes[v]
            fx, fy = pos[("free", k)][0] * scale - c[0], pos[("free", k)][1] * scale - c[1]
            angle = math.atan2(fy, fx) if math.hypot(fx, fy) > 1e-9 else math.pi
            set_leg(part, k, v, angle, ext)
    _boxes(part, ext)
    return part


def _turned(d: Diagram, pos: dict, prefer: Prefer) -> dict:
    """Turn (and if that fits better, mirror) a force layout so that its open
    legs point the ways `prefer` asks (by leg name): the rotation that best
    lines up the directions from the middle to the legs' ends with the wanted
    ones has a closed form, atan2 of the summed cross and dot products."""
    keys = list(pos)
    mx = sum(float(pos[v][0]) for v in keys) / len(keys)
    my = sum(float(pos[v][1]) for v in keys) / len(keys)
    best: tuple[float, dict] | None = None
    for flip in (1.0, -1.0):
        xs = {v: (flip * (float(pos[v][0]) - mx), float(pos[v][1]) - my) for v in keys}
        pairs = [(xs[v], prefer[d.free[v[1]]]) for v in keys
                 if isinstance(v, tuple) and d.free[v[1]] in prefer and math.hypot(*xs[v]) > 1e-9]
        if not pairs:
            return _level(pos)
        dot = sum((a[0] * b[0] + a[1] * b[1]) / math.hypot(*a) for a, b in pairs)
        cross = sum((a[0] * b[1] - a[1] * b[0]) / math.hypot(*a) for a, b in pairs)
        theta = math.atan2(cross, dot)
        c, s = math.cos(theta), math.sin(theta)
        fit = math.hypot(dot, cross)
        if best is None or fit > best[0] + 1e-9:
            best = (fit, {v: (x * c - y * s, x * s + y * c) for v, (x, y) in xs.items()})
    assert best is not None
    return best[1]


def _level(pos: dict) -> dict:
    """Turn a force layout so its long axis is horizontal and its first open leg
    (else its first node) is on the left: pictures read left to right, and a
    rotation (never a mirror) keeps the cyclic order of legs around a node."""
    keys = list(pos)
    n = len(keys)
    mx = sum(float(pos[v][0]) for v in keys) / n
    my = sum(float(pos[v][1]) for v in keys) / n
    xs = {v: (float(pos[v][0]) - mx, float(pos[v][1]) - my) for v in keys}
    sxx = sum(x * x for x, _ in xs.values())
    syy = sum(y * y for _, y in xs.values())
    sxy = sum(x * y for x, y in xs.values())
    theta = -0.5 * math.atan2(2 * sxy, sxx - syy)
    c, s = math.cos(theta), math.sin(theta)
    out = {v: (x * c - y * s, x * s + y * c) for v, (x, y) in xs.items()}
    frees = sorted(v for v in keys if isinstance(v, tuple))
    first = frees[0] if frees else min(v for v in keys if isinstance(v, int))
    if out[first][0] > 1e-9:
        out = {v: (-x, -y) for v, (x, y) in out.items()}
    return out


def _bare_part(d: Diagram, pairs: list[tuple[int, int]]) -> Part:
    """Bare identity lines (a wire from open leg to open leg), stacked."""
    part = Part()
    for r, (a, b) in enumerate(pairs):
        y = -0.8 * r
        part.ends[a], part.dirs[a] = (0.0, y), (-1.0, 0.0)
        part.ends[b], part.dirs[b] = (1.6 * LEG, y), (1.0, 0.0)
    return part


def _centred(xs: list[float], width: float) -> list[float]:
    span = xs[-1] - xs[0] if xs else 0.0
    return [x + (width - span) / 2 for x in xs]


def _component_part(d: Diagram, g: nx.Graph, comp: list, next_row: list[int], ext: Extents,
                    prefer: Prefer | None = None) -> Part:
    nodes = sorted(v for v in comp if isinstance(v, int))
    h = g.subgraph(nodes)

    def ids(n: int) -> list[int]:
        out = list(range(next_row[0], next_row[0] + n))
        next_row[0] += n
        return out

    if _is_path(h) or _is_cycle(h):
        row = _path_order(d, h) if _is_path(h) else _small_ends(_cycle_order(d, h), ext)
        return _rows_part(d, [row], [_row_xs(row, ext)], [1], [-1], ids(1), ext)
    ladder = _ladder(d, h) or _rungs(d, h)
    if ladder is not None:
        t, b = ladder
        if len(t) == len(b):  # columns as wide as their widest node
            cols = [t[i] if _half(ext, t[i])[0] >= _half(ext, b[i])[0] else b[i] for i in range(len(t))]
            tx = bx = _row_xs(cols, ext)
        else:
            tx, bx = _row_xs(t, ext), _row_xs(b, ext)
            bx = _centred(bx, tx[-1] - tx[0])
        return _rows_part(d, [t, b], [tx, bx], [1, -1], [1, -1], ids(2), ext)
    sandwich = _sandwich(d, h)
    if sandwich is not None:
        t, m, b = sandwich
        tx = _row_xs(t, ext)
        ref = dict(zip(t, tx))
        mx = _site_xs(m, ref, h, ext)
        ref.update(zip(m, mx))
        bx = _site_xs(b, ref, h, ext)
        return _rows_part(d, [t, m, b], [tx, mx, bx], [1, 1, -1], [1, 1, -1], ids(3), ext)
    kron = _kron_part(d, h, ext)
    if kron is not None:
        return kron
    placed = _placed_part(d, h, g.subgraph(comp), ext)
    if placed is not None:
        return placed
    return _force_part(d, g, comp, ext, prefer)


def _is_fuse(d: Diagram, v: int) -> bool:
    node = d.nodes[v]
    return isinstance(node, TensorNode) and node.decl.builtin == "fuse"


def _kron_part(d: Diagram, h: nx.Graph, ext: Extents) -> Part | None:
    """A Kronecker product `kron(A, B, C)`: two merge points (fuse nodes),
    each wired once to every operand and to nothing else.  The operands are
    stacked in a column in the order of the first merge point's thin legs,
    the merge points left and right of it, each with its thick leg pointing
    away: the seed's picture, and planar (a force layout puts the operands
    in any order, and the wires of the two bars cross)."""
    hubs = [v for v in sorted(h) if _is_fuse(d, v) and h.degree(v) >= 3]
    if len(hubs) != 2 or h.number_of_nodes() != h.degree(hubs[0]) + 2:
        return None
    left, right = sorted(hubs, key=lambda v: _node_key(d, v))
    ops = [v for v in h if v not in hubs]
    if set(h[left]) != set(ops) or set(h[right]) != set(ops) or h.number_of_edges() != 2 * len(ops):
        return None
    if any(d.nodes[v].arity != 2 or free_ports(d, v) for v in ops):
        return None  # an operand is a matrix: one leg to each merge point
    order = []
    for i in range(d.nodes[left].arity):
        w = d.link[(left, i)][0]
        if w in ops and w not in order:
            order.append(w)
    part = Part()
    y = 0.0
    for n, v in enumerate(order):
        if n:
            y -= max(SPACING, _half(ext, order[n - 1])[1] + _half(ext, v)[1] + CLEAR)
        part.nodes[v] = (0.0, y)
    reach_x = max(SPACING, max(_half(ext, v)[0] for v in ops) + NODE_HALF + CLEAR) * 1.25
    part.nodes[left] = (-reach_x, y / 2)
    part.nodes[right] = (reach_x, y / 2)
    for hub, angle in ((left, math.pi), (right, 0.0)):
        for _, k in free_ports(d, hub):
            set_leg(part, k, hub, angle, ext)
    _boxes(part, ext)
    return part


GRID_ROOM = 1.3  # a grid's steps are wider: its conjugate layer sits between them


def gap_dirs(wires: list[float], m: int, prefer: float) -> list[float]:
    """m directions for open legs of a node whose wires leave at the angles
    `wires`: fanned in the widest free gap between them (of equally wide
    gaps, the one nearest `prefer`), so that no leg runs along a wire."""
    if not wires:
        return _fan(prefer, m)
    ws = sorted(a % (2 * math.pi) for a in wires)
    gaps = [((b if b > a else b + 2 * math.pi) - a, a) for a, b in zip(ws, ws[1:] + ws[:1])]
    if len(ws) == 1:
        gaps = [(2 * math.pi, ws[0])]
    widest = max(g for g, _ in gaps)

    def off(a: float) -> float:
        return abs((a - prefer + math.pi) % (2 * math.pi) - math.pi)

    size, start = min(((g, a) for g, a in gaps if g > widest - 1e-6), key=lambda t: off(t[1] + t[0] / 2))
    centre = start + size / 2
    step = min(FAN, size / (m + 1))
    return [centre + step * ((m - 1) / 2 - j) for j in range(m)]


def _placed_part(d: Diagram, h: nx.Graph, legs: nx.Graph, ext: Extents) -> Part | None:
    """A grid, a deep tree or a mirrored norm (see `placement`), scaled so the
    biggest node fits a step, open legs in the free gaps between wires."""
    order = sorted(h)
    row = lambda part: _path_order(d, part) if _is_path(part) else None  # noqa: E731
    found = placement.mirrored(d, h, order, row)
    if found is None:
        shape = placement.shape_of(d, h, order, legs)
        if shape is None:
            return None
        found = (shape[0], shape[1], {})
    kind, pos, sides = found
    room = GRID_ROOM if kind == "grid" else 1.0
    sx = room * max([SPACING] + [2 * _half(ext, v)[0] + CLEAR for v in h])
    sy = room * max([SPACING] + [2 * _half(ext, v)[1] + CLEAR for v in h])
    part = Part()
    for v in order:
        part.nodes[v] = (pos[v][0] * sx, pos[v][1] * sy)
    for v in order:
        frees = [k for _, k in free_ports(d, v)]
        if not frees:
            continue
        (x, y) = part.nodes[v]
        wires = [math.atan2(part.nodes[w][1] - y, part.nodes[w][0] - x) for w in h[v]]
        up = sides.get(v, 1) > 0
        slots = [pos.get(("free", k)) for k in frees]
        if all(slots):  # a tree gave each leg a slot of its own
            dirs = [math.atan2(s[1] - pos[v][1], s[0] - pos[v][0]) for s in slots]
        elif kind == "grid":  # off the lattice's axes, as a PEPS's physical legs are drawn
            dirs = _fan(math.radians(45 if up else -135), len(frees))
        else:
            dirs = gap_dirs(wires, len(frees), math.pi / 2 if up else -math.pi / 2)
        for k, a in zip(frees, dirs):
            set_leg(part, k, v, a, ext)
    _boxes(part, ext)
    return part


def layout(d: Diagram, extents: Extents | None = None, prefer: Prefer | None = None) -> Layout:
    """Deterministic positions for the nodes and open legs of `d`.

    `extents` gives the half width and half height of nodes bigger than an
    ordinary shape (bubbles drawn around their insides): rows leave room for
    them and their open legs start at their border.  Connected parts are laid
    out one by one and placed left to right in the order of their first open
    leg (then of their first node); bare identity lines are stacked in one
    block where the first of them would go.  `prefer` gives directions for
    open legs by name (a sum's later terms follow its first): a force layout
    is turned to match them.
    """
    ext = dict(extents or {})
    g = simple_graph(d)
    comps = sorted((sorted(c, key=str) for c in nx.connected_components(g)), key=_comp_key)
    parts: list[Part] = []
    bare: list[tuple[int, int]] = []
    bare_at: int | None = None
    next_row = [0]
    for comp in comps:
        if all(isinstance(v, tuple) for v in comp):
            ks = sorted(v[1] for v in comp)
            if len(ks) == 2:
                bare.append((ks[0], ks[1]))
                if bare_at is None:
                    bare_at = len(parts)
                    parts.append(Part())
            continue  # a lone free node cannot happen: every leg is wired
        parts.append(_component_part(d, g, comp, next_row, ext, prefer))
    if bare_at is not None:
        parts[bare_at] = _bare_part(d, bare)

    out = Layout(extents=ext, titles={v: n.title for v, n in d.nodes.items()}, leg_names=tuple(d.free))
    cursor = 0.0
    for part in parts:
        x0, y0, x1, y1 = part.bbox()
        placed = part.shifted(cursor - x0, -(y0 + y1) / 2)
        cursor += (x1 - x0) + GAP
        out.nodes.update(placed.nodes)
        out.free_ends.update(placed.ends)
        out.free_dirs.update(placed.dirs)
        out.rows.update(placed.rows)
        out.arc_side.update(placed.side)
    return out
