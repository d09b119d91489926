"""The scene: a diagram or a sum and its `layout` turned into primitives.

Wires are drawn before shapes because a triangle turns toward the wires at its
tip; bubbles are drawn around their insides (once per orientation) and placed
as big nodes; a sum's terms go side by side in rows, each open leg on the side
and at the height the first term has it.  Conjugates carry a star (U*); the
scalar is written in front; a long sum is broken into rows of at most three
terms; tool-made leg names (`#0`) are not written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Union

from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode, as_sum
from ..core.errors import InputError
from . import backbone as _backbone
from .labels import anonymous, coeff_text, leg_id, leg_width, node_label, signed, tex_name
from .layout import LEG, NODE_HALF as LAYOUT_HALF, Layout, Point, Prefer, arc_height, arc_lift, layout
from .primitives import BASE_WIDTH, FONT_SIZE, Scene, Shape, Text, Wire, unique_ids
from .shapes import label_at, label_size, node_half, node_shape, normalised, rot, shape_gid
from .steps import follow


def _curve(p0: Point, p3: Point, bulge: Point) -> tuple[Point, ...]:
    """The quadratic curve p0 → p3 whose middle is pushed by `bulge`, as a cubic."""
    q = ((p0[0] + p3[0]) / 2 + 2 * bulge[0], (p0[1] + p3[1]) / 2 + 2 * bulge[1])
    c1 = (p0[0] + 2 / 3 * (q[0] - p0[0]), p0[1] + 2 / 3 * (q[1] - p0[1]))
    c2 = (p3[0] + 2 / 3 * (q[0] - p3[0]), p3[1] + 2 / 3 * (q[1] - p3[1]))
    return (p0, c1, c2, p3)


BUBBLE_PAD = 0.3  # room between a bubble's border and what it holds
LABEL_SIZE = FONT_SIZE * 0.85


@dataclass(frozen=True)
class _Art:
    """A bubble drawn around its inside, its box centred at the origin.

    The scene lists the box first, so that it lies under what it holds.
    `ports[k]` is where port k (the inside's free leg k) meets the border and
    `dirs[k]` the direction the wire leaves in.
    """

    scene: Scene
    half: Point
    ports: tuple[Point, ...]
    dirs: tuple[Point, ...]


Sides = dict[int, str]  # port -> the side of a bubble ("left", "right", "top", "bottom") it should leave


class _Arts:
    """Bubble pictures of one scene, each drawn once per orientation (nested
    bubbles would otherwise be redrawn at every level)."""

    def __init__(self, widths: bool) -> None:
        self.widths = widths
        self.memo: dict[tuple, _Art] = {}
        self.keep: list[BubbleNode] = []  # ids stay valid while the nodes live

    def __call__(self, node: BubbleNode, mirror: bool, sides: Sides | None = None) -> _Art:
        key = (id(node), mirror, tuple(sorted((sides or {}).items())))
        if key not in self.memo:
            self.keep.append(node)
            self.memo[key] = _bubble_art(node, mirror, self, dict(sides or {}))
        return self.memo[key]


def _mirror(lay: Layout) -> Layout:
    """The layout seen in a mirror (x → -x), for a bubble whose wires leave
    better the other way round; shapes follow their legs, so they mirror too."""
    return replace(lay, nodes={v: (-x, y) for v, (x, y) in lay.nodes.items()},
                   free_ends={k: (-x, y) for k, (x, y) in lay.free_ends.items()},
                   free_dirs={k: (-x, y) for k, (x, y) in lay.free_dirs.items()})


def _exit(box: tuple[float, float, float, float], e: Point, u: Point) -> Point:
    """Where the ray from e (inside the box) along u leaves the box."""
    x0, y0, x1, y1 = box
    ts = []
    if u[0] > 1e-9:
        ts.append((x1 - e[0]) / u[0])
    if u[0] < -1e-9:
        ts.append((x0 - e[0]) / u[0])
    if u[1] > 1e-9:
        ts.append((y1 - e[1]) / u[1])
    if u[1] < -1e-9:
        ts.append((y0 - e[1]) / u[1])
    t = max(min(ts), 0.0) if ts else 0.0
    return (e[0] + t * u[0], e[1] + t * u[1])


def _box_around(content: tuple[float, float, float, float], label: Text) -> tuple[float, float, float, float]:
    """The bubble's border: the content padded, with a strip on top for the name."""
    x0, y0, x1, y1 = content
    (lx0, ly0), (lx1, ly1) = label.extent()
    # The strip is mirrored below so that the content's middle (where a row's
    # wires leave) is the box's middle, which the outer row lines up.
    x0, x1 = x0 - BUBBLE_PAD, x1 + BUBBLE_PAD
    y0, y1 = y0 - BUBBLE_PAD - (ly1 - ly0), y1 + BUBBLE_PAD + (ly1 - ly0)
    x1 = max(x1, x0 + (lx1 - lx0) + 2 * BUBBLE_PAD)
    return (x0, y0, x1, y1)


def _label_room(box, label: Text, ports: list[Point]) -> tuple[float, float, float, float]:
    """Widen the box to the left until no port on its top runs through the name."""
    x0, y0, x1, y1 = box
    (lx0, _), (lx1, _) = label.extent()
    need = (lx1 - lx0) + 2 * BUBBLE_PAD * 0.75
    top = [p[0] for p in ports if abs(p[1] - y1) < 1e-6]
    if top and min(top) < x0 + need:
        x0 = min(top) - need
    return (x0, y0, x1, y1)


def _bubble_label(node: BubbleNode) -> Text:
    plain, tex = node_label(node)
    return Text(f"label-{node.title}", (0.0, 0.0), plain, tex, ha="left", va="top", size=LABEL_SIZE)


def _bubble_art(node: BubbleNode, mirror: bool, arts: _Arts, sides: Sides) -> _Art:
    """Draw the inside, then the border around it.

    One term (of a nonlinearity) is drawn as a diagram whose open legs run on
    to the border, where the outer wires take them up: the picture of "first
    contract everything inside, then apply the function".  Several terms, or a
    parenthesised sum (fn="sum"), are drawn side by side with their signs and
    leg names, and the ports sit on the side of the border their legs point to.
    `sides` asks for ports on given sides (toward what they are wired to
    outside); a sum honours it, and a function of a sum passes it on.
    """
    label = _bubble_label(node)
    inside = node.inside
    port_names: tuple[Text, ...] = ()
    if node.fn != "sum" and node.args:
        body, box, ports, dirs = _arguments_art(node, arts, mirror, sides, label)
    elif node.fn != "sum" and (inside.single is not None or inside.terms):
        single = inside.single if inside.single is not None else _sum_box(inside)
        texts = _coeff_texts(single.scalar, first=True)
        sc, lay = _diagram_scene(single, arts, mirror, names=False, leg_sides=sides)
        front, (off,) = _with_front([(texts, sc, None)])
        body = front
        ends = [(lay.free_ends[k][0] + off[0], lay.free_ends[k][1] + off[1]) for k in range(len(single.free))]
        dirs = [lay.free_dirs[k] for k in range(len(single.free))]
        box = _box_around(body.bbox(), label)
        box = _label_room(box, label, [_exit(box, e, u) for e, u in zip(ends, dirs)])
        ports = [_exit(box, e, u) for e, u in zip(ends, dirs)]
        sc, _ = _diagram_scene(single, arts, mirror, names=False, leg_sides=sides,
                               leg_ends={k: (p[0] - off[0], p[1] - off[1]) for k, p in enumerate(ports)})
        # Same place as the first drawing: its longer legs must not move it.
        body = Scene(texts=front.texts[:len(texts)]) + sc.moved(*off)
    else:
        body, firsts = _terms_scene(list(inside.terms), arts, mirror, names=False)
        box = _box_around(body.bbox(), label)
        ports, dirs = _side_ports(box, firsts, len(inside.free), sides)
        port_names = _port_names(inside.free, ports, dirs)
    x0, y0, x1, y1 = box
    c = ((x0 + x1) / 2, (y0 + y1) / 2)
    border = Shape(shape_gid(node), "box", c, "bubble", width=x1 - x0, height=y1 - y0)
    name = replace(label, at=(x0 + BUBBLE_PAD * 0.75, y1 - BUBBLE_PAD * 0.4))
    sc = Scene(shapes=(border,)) + body + Scene(texts=(name, *port_names))
    return _Art(sc.moved(-c[0], -c[1]), ((x1 - x0) / 2, (y1 - y0) / 2),
                tuple((p[0] - c[0], p[1] - c[1]) for p in ports), tuple(dirs))


ARG_GAP = 0.5  # vertical room between two arguments of one function


def _arguments_art(node: BubbleNode, arts: _Arts, mirror: bool, sides: Sides, label: Text
                   ) -> tuple[Scene, tuple[float, float, float, float], list[Point], list[Point]]:
    """A function of several arguments (`g(x, y)`): every argument drawn in
    the box, one under the other in order, each as a one-term argument is
    (a sum as a Σ box).  The function is elementwise, so leg k of every
    argument is the same leg of the result: they all run to one port, on the
    side of the border the first argument's leg points to, at the middle of
    where the arguments' legs meet that side.  Returns the body, the box, the
    ports and the directions their wires leave in."""
    drawn = []
    top = 0.0
    for a in node.arguments:
        d = a.single if a.single is not None else _sum_box(a)
        texts = _coeff_texts(d.scalar, first=True)
        sc, lay = _diagram_scene(d, arts, mirror, names=False, leg_sides=sides)
        front, (off,) = _with_front([(texts, sc, None)])
        x0, y0, x1, y1 = front.bbox()
        shift = (off[0] - x0, off[1] + top - y1)  # left-aligned, under the one before
        drawn.append((d, texts, front.moved(-x0, top - y1), shift, lay))
        top = top - (y1 - y0) - ARG_GAP
    body = Scene()
    for _, _, front, _, _ in drawn:
        body = body + front
    box = _box_around(body.bbox(), label)
    n = len(node.inside.free)
    first = drawn[0][4]
    side_of = {k: (sides or {}).get(k) or _side_toward(first.free_dirs[k]) for k in range(n)}
    exits = {k: [_exit(box, (lay.free_ends[k][0] + sh[0], lay.free_ends[k][1] + sh[1]), _normal(side_of[k]))
                 for _, _, _, sh, lay in drawn] for k in range(n)}
    box = _label_room(box, label, [p for ps in exits.values() for p in ps])
    x0, y0, x1, y1 = box
    ports: list[Point] = []
    for k in range(n):
        ps = exits[k]
        mid = (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps))
        ports.append({"left": (x0, mid[1]), "right": (x1, mid[1]),
                      "top": (mid[0], y1), "bottom": (mid[0], y0)}[side_of[k]])
    out = Scene()
    for j, (d, texts, front, sh, _) in enumerate(drawn):
        sc, _ = _diagram_scene(d, arts, mirror, names=False, leg_sides=sides,
                               leg_ends={k: (p[0] - sh[0], p[1] - sh[1]) for k, p in enumerate(ports)})
        part = Scene(texts=front.texts[:len(texts)]) + sc.moved(*sh)
        out = out + (part if j == 0 else part.owned(f"a{j}/"))  # argument j's nodes: "a1/0", ...
    return out, box, ports, [_normal(side_of[k]) for k in range(n)]


def _normal(side: str) -> Point:
    return {"left": (-1.0, 0.0), "right": (1.0, 0.0), "top": (0.0, 1.0), "bottom": (0.0, -1.0)}[side]


def _port_names(free, ports: list[Point], dirs: list[Point]) -> tuple[Text, ...]:
    """The legs of a sum held in a box, named once each just outside the box
    at its port (beside the wire that leaves there, never on it): the terms
    inside leave their legs unnamed, so that no name floats inside the box."""
    out = []
    for k, (name, p, u) in enumerate(zip(free, ports, dirs)):
        if anonymous(name):
            continue
        if abs(u[0]) >= abs(u[1]):
            at, ha, va = (p[0] + 0.08 * u[0], p[1] + 0.06), "left" if u[0] > 0 else "right", "bottom"
        else:
            at, ha, va = (p[0] + 0.08, p[1] + 0.12 * u[1]), "left", "bottom" if u[1] > 0 else "top"
        out.append(Text(f"name-{name}", at, name, tex_name(name), ha=ha, va=va, size=FONT_SIZE * 0.8,
                        node=f"port:{k}"))
    return tuple(out)


def _sum_box(inside: Sum) -> Diagram:
    """A function of a sum drawn as the function's box around a Σ box: the
    sum is one node whose legs run on to the outer border, as a single
    term's do, instead of leg names left dangling beside the terms."""
    d = Diagram()
    v = d.add_node(BubbleNode("sum", inside))
    for k, (name, size) in enumerate(zip(inside.free, inside.sizes)):
        d.connect((v, k), d.add_free(name, size))
    return d


PORT_GAP = 0.4  # least distance between two ports on one side of a bubble


def _spread(wants: list[float], lo: float, hi: float) -> list[float]:
    """Positions along a side, each as near its wish as the others allow:
    at least PORT_GAP apart (less when the side is too short), within
    [lo, hi], in the given order."""
    n = len(wants)
    gap = min(PORT_GAP, (hi - lo) / (n + 1))
    lo, hi = lo + gap, hi - gap
    out: list[float] = []
    for w in wants:
        out.append(max(min(w, hi), lo, out[-1] + gap if out else lo))
    for j in range(n - 1, -1, -1):  # pushed past the end: pull back
        out[j] = min(out[j], hi - gap * (n - 1 - j))
    return out


def _side_ports(box, first: Layout | None, n: int, want: Sides | None = None) -> tuple[list[Point], list[Point]]:
    """Ports of a bubble holding a sum: each on the side its leg points to in
    the first term, where that leg ends (so the wire inside and the one
    outside meet without crossing the terms), nudged apart from its
    neighbours; without a layout, spread evenly in the order of the legs.
    `want` overrides the side of a port."""
    x0, y0, x1, y1 = box
    sides: dict[str, list[int]] = {"left": [], "right": [], "top": [], "bottom": []}
    for k in range(n):
        u = first.free_dirs.get(k, (-1.0, 0.0)) if first else (-1.0 if k == 0 else 1.0, 0.0)
        if want and k in want:
            sides[want[k]].append(k)
        elif abs(u[0]) >= abs(u[1]):
            sides["left" if u[0] < 0 else "right"].append(k)
        else:
            sides["top" if u[1] > 0 else "bottom"].append(k)
    ports: list[Point] = [(0.0, 0.0)] * n
    dirs: list[Point] = [(0.0, 0.0)] * n
    for side, ks in sides.items():
        vertical = side in ("left", "right")
        lo, hi = (y0, y1) if vertical else (x0, x1)
        if first is not None and all(k in first.free_ends for k in ks):
            along = (lambda k: first.free_ends[k][1]) if vertical else (lambda k: first.free_ends[k][0])
            ks = sorted(ks, key=lambda k: (along(k), k))
            at = _spread([along(k) for k in ks], lo, hi)
        else:
            at = [lo + (j + 1) / (len(ks) + 1) * (hi - lo) for j in range(len(ks))]
            if vertical:
                at = at[::-1]  # the first leg on top
        for k, a in zip(ks, at):
            if side == "left":
                ports[k], dirs[k] = (x0, a), (-1.0, 0.0)
            elif side == "right":
                ports[k], dirs[k] = (x1, a), (1.0, 0.0)
            elif side == "top":
                ports[k], dirs[k] = (a, y1), (0.0, 1.0)
            else:
                ports[k], dirs[k] = (a, y0), (0.0, -1.0)
    return ports, dirs


def _orient(d: Diagram, v: int, c: Point, lay: Layout, arts: _Arts, mirror: bool = False,
            sides: Sides | None = None) -> _Art:
    """The bubble's picture, turned the way that makes its ports face what
    they are wired to (then be near it); on a tie, the way of the picture
    around it (`mirror`), so that a mirrored bubble mirrors what it holds."""
    node = d.nodes[v]

    def score(art: _Art) -> float:
        s = 0.0
        for k, (p, u) in enumerate(zip(art.ports, art.dirs)):
            w, i = d.link[(v, k)]
            if w in (BOUNDARY, v):  # an open leg follows its port wherever it is
                continue
            t = lay.nodes[w]
            gap = (t[0] - c[0] - p[0], t[1] - c[1] - p[1])
            to = normalised(gap)
            if to is not None:  # facing the other end, then near it
                s += u[0] * to[0] + u[1] * to[1] - 0.1 * math.hypot(*gap)
        return s

    plain = arts(node, mirror, sides)
    if not plain.ports:
        return plain
    flipped = arts(node, not mirror, sides)
    return flipped if score(flipped) > score(plain) + 1e-9 else plain


@dataclass
class _Drawing:
    """What the pieces of one diagram's picture share: the layout, the placed
    bubbles, where the open legs end and which way every port leaves its node
    (collected while the wires are drawn, read when the shapes are turned)."""

    d: Diagram
    lay: Layout
    bubbles: dict[int, _Art]
    ends: dict[int, Point]
    fdirs: dict[int, Point]
    widths: bool
    dirs: dict[int, dict[int, Point]] = field(default_factory=dict)

    def at(self, p: tuple[int, int]) -> Point:
        """Where a wire meets port p: a node's centre or a bubble's border."""
        v, i = p
        if v in self.bubbles:
            c, q = self.lay.nodes[v], self.bubbles[v].ports[i]
            return (c[0] + q[0], c[1] + q[1])
        return self.lay.nodes[v]

    def width(self, p: tuple[int, int]) -> float:
        if self.widths:
            return leg_width(self.d.port_size(p), self.widths)
        for v, i in (p, self.d.link[p]):
            node = self.d.nodes.get(v)
            if isinstance(node, TensorNode) and node.decl.builtin == "fuse" and i >= node.split:
                return 2 * BASE_WIDTH  # the fused (thick) side of a merge point
        return BASE_WIDTH

    def depart(self, v: int, i: int, towards: Point) -> None:
        c = self.lay.nodes[v]
        u = normalised((towards[0] - c[0], towards[1] - c[1]))
        if u is not None:
            self.dirs.setdefault(v, {})[i] = u


def _room(d: Diagram, arts: _Arts) -> tuple[dict[int, _Art], dict[int, Point]]:
    """The bubbles' pictures and the half sizes of every node bigger than an
    ordinary shape (bubbles, and shapes widened by long labels)."""
    bubbles = {v: arts(n, False) for v, n in d.nodes.items() if isinstance(n, BubbleNode)}
    room = {v: a.half for v, a in bubbles.items()}
    for v, n in d.nodes.items():
        if v not in room and not isinstance(n, DeltaNode):
            half = node_half(n)
            if half is not None and half[0] > LAYOUT_HALF:
                room[v] = half
    return bubbles, room


def _open_wires(dr: _Drawing) -> list[Wire]:
    """Bare lines (open leg to open leg) and open legs."""
    d, out = dr.d, []
    for p, q in sorted(d.wires()):
        (u, i), (w, j) = p, q
        if u == BOUNDARY and w == BOUNDARY:
            out.append(Wire(f"wire-{leg_id(d.free[i])}-{leg_id(d.free[j])}", (dr.ends[i], dr.ends[j]),
                            dr.width(p), (f"free:{i}", f"free:{j}")))
        elif u == BOUNDARY or w == BOUNDARY:
            (k, (v, pi)) = (i, q) if u == BOUNDARY else (j, p)
            out.append(Wire(f"leg-{leg_id(d.free[k])}", (dr.at((v, pi)), dr.ends[k]), dr.width(p),
                            (str(v), f"free:{k}")))
            dr.depart(v, pi, dr.ends[k])
    return out


def _loops(dr: _Drawing, u: int, ws: list) -> list[Wire]:
    """Wires from a node to itself: out of the bubble's ports and back, or a
    petal on the side of its row the arcs use."""
    out = []
    side = dr.lay.arc_side.get(u, 1)
    for n, (p, q) in enumerate(ws):
        if u in dr.bubbles:
            a, b = dr.at(p), dr.at(q)
            pu, qu = dr.bubbles[u].dirs[p[1]], dr.bubbles[u].dirs[q[1]]
            pts = (a, (a[0] + 1.1 * pu[0], a[1] + 1.1 * pu[1]), (b[0] + 1.1 * qu[0], b[1] + 1.1 * qu[1]), b)
            out.append(Wire("loop", pts, dr.width(p), (str(u), str(u))))
            continue
        a = dr.lay.nodes[u]
        axis = rot((0.0, float(side)), math.radians(50) * n)
        c1 = (a[0] + 1.1 * rot(axis, 0.6)[0], a[1] + 1.1 * rot(axis, 0.6)[1])
        c2 = (a[0] + 1.1 * rot(axis, -0.6)[0], a[1] + 1.1 * rot(axis, -0.6)[1])
        out.append(Wire("loop", (a, c1, c2, a), dr.width(p), (str(u), str(u))))
        dr.depart(u, p[1], c1)
        dr.depart(u, q[1], c2)
    return out


def _between(dr: _Drawing, u: int, w: int, ws: list) -> list[Wire]:
    """The wires between two nodes: an arc over the nodes between them in a
    row, parallel wires bowed apart, else a straight line."""
    lay, out, m = dr.lay, [], len(ws)
    far = _arc(lay, u, w)
    a0, b0 = lay.nodes[u], lay.nodes[w]
    normal = normalised((-(b0[1] - a0[1]), b0[0] - a0[0])) or (0.0, 1.0)
    big = u in dr.bubbles or w in dr.bubbles
    for n, (p, q) in enumerate(ws):
        start, end = (p, q) if p[0] == u else (q, p)
        a, b = dr.at(start), dr.at(end)
        offset = 0.32 * (n - (m - 1) / 2)
        if far:
            lift = arc_height(b0[0] - a0[0]) + arc_lift(lay.rows, lay.extents, u, w)
            pts = _curve(a, b, (0.0, lay.arc_side[u] * (lift + abs(offset))))
        elif m > 1 and abs(offset) > 1e-9 and not big:
            pts = _curve(a, b, (normal[0] * offset, normal[1] * offset))
        else:
            pts = (a, b)
        out.append(Wire("wire", pts, dr.width(p), (str(u), str(w))))
        dr.depart(u, start[1], pts[1])
        dr.depart(w, end[1], pts[-2])
    return out


def _inner_wires(dr: _Drawing) -> list[Wire]:
    pairs: dict[tuple[int, int], list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for p, q in sorted(dr.d.wires()):
        if p[0] != BOUNDARY and q[0] != BOUNDARY:
            pairs.setdefault((min(p[0], q[0]), max(p[0], q[0])), []).append((p, q))
    out: list[Wire] = []
    for (u, w), ws in pairs.items():
        out += _loops(dr, u, ws) if u == w else _between(dr, u, w, ws)
    return out


def _nodes_scene(dr: _Drawing) -> Scene:
    """Shapes (turned by the directions their wires leave in) and labels;
    bubbles bring their own picture, owned by the bubble."""
    out = Scene()
    shapes: list[Shape] = []
    texts: list[Text] = []
    for v in sorted(dr.d.nodes):
        node, c = dr.d.nodes[v], dr.lay.nodes[v]
        if v in dr.bubbles:
            out = out + dr.bubbles[v].scene.owned(f"{v}/").moved(*c)
            continue
        shape = node_shape(node, shape_gid(node), c, dr.dirs.get(v, {}), in_row=v in dr.lay.rows)
        shapes.append(replace(shape, node=str(v)))
        plain, tex = node_label(node)
        if plain:
            texts.append(Text(f"label-{node.title}", label_at(shape), plain, tex, size=label_size(plain),
                              node=str(v)))
    return out + Scene(shapes=tuple(shapes), texts=tuple(texts))


def _leg_names(dr: _Drawing) -> tuple[Text, ...]:
    """Each named open leg's name just beyond its end, on the side it points to."""
    texts = []
    for k, name in enumerate(dr.d.free):
        if k not in dr.ends or anonymous(name):
            continue
        (x, y), (ux, uy) = dr.ends[k], dr.fdirs[k]
        ha = "right" if ux < -0.35 else "left" if ux > 0.35 else "center"
        va = "top" if uy < -0.35 else "bottom" if uy > 0.35 else "center"
        texts.append(Text(f"name-{name}", (x + 0.1 * ux, y + 0.1 * uy), name, tex_name(name),
                          ha=ha, va=va, size=FONT_SIZE * 0.9, node=f"free:{k}"))
    return tuple(texts)


def _side_toward(u: Point) -> str:
    if abs(u[0]) >= abs(u[1]):
        return "left" if u[0] < 0 else "right"
    return "top" if u[1] > 0 else "bottom"


def _arc(lay: Layout, u: int, w: int) -> bool:
    """Whether the wires between u and w are drawn as an arc over their row."""
    return (u in lay.rows and w in lay.rows and lay.rows[u][0] == lay.rows[w][0]
            and abs(lay.rows[u][1] - lay.rows[w][1]) > 1)


def _port_sides(d: Diagram, v: int, lay: Layout, legs: Sides) -> Sides:
    """The side of bubble v each port should leave: toward the node it is
    wired to, or (an open leg) the side asked of that leg from outside."""
    out: Sides = {}
    c = lay.nodes[v]
    for i in range(d.nodes[v].arity):
        w, j = d.link[(v, i)]
        if w == BOUNDARY:
            if j in legs:
                out[i] = legs[j]
        elif w != v and _arc(lay, v, w):  # an arc over the row leaves on the row's arc side
            out[i] = "top" if lay.arc_side.get(v, 1) > 0 else "bottom"
        elif w != v:
            t = lay.nodes[w]
            if math.dist(t, c) > 1e-9:
                out[i] = _side_toward((t[0] - c[0], t[1] - c[1]))
    return out


def _diagram_scene(d: Diagram, arts: _Arts, mirror: bool = False, names: bool = True,
                   leg_ends: dict[int, Point] | None = None, leg_sides: Sides | None = None,
                   previous: Layout | None = None, prefer: Prefer | None = None) -> tuple[Scene, Layout]:
    """One diagram's picture, with its layout.  `leg_ends` moves the open ends
    of legs (to a bubble's border, for the diagram inside it); `names=False`
    leaves the legs unnamed, as they are inside a bubble.  Wires are drawn
    before shapes because a triangle turns toward the wires at its tip."""
    bubbles, room = _room(d, arts)
    lay = layout(d, room, prefer)
    if previous is not None:
        lay = follow(d, lay, previous, room)
    if mirror:
        lay = _mirror(lay)
    bubbles = {v: _orient(d, v, lay.nodes[v], lay, arts, mirror, _port_sides(d, v, lay, leg_sides or {}))
               for v in bubbles}
    dr = _Drawing(d, lay, bubbles, dict(lay.free_ends), dict(lay.free_dirs), arts.widths)
    for p, q in d.link.items():  # open legs of bubbles leave along their port's direction
        if p[0] in bubbles and q[0] == BOUNDARY:
            a, u = dr.at(p), bubbles[p[0]].dirs[p[1]]
            dr.ends[q[1]], dr.fdirs[q[1]] = (a[0] + LEG * u[0], a[1] + LEG * u[1]), u
    dr.ends.update(leg_ends or {})
    wires = _open_wires(dr) + _inner_wires(dr)
    out = Scene(tuple(wires)) + _nodes_scene(dr)
    drawn = replace(lay, free_ends=dict(dr.ends), free_dirs=dict(dr.fdirs))  # where the legs really end
    return out + Scene(texts=_leg_names(dr) if names else ()), drawn


Part = tuple[list[Text], Scene, "float | None"]  # texts, a drawing, the height its legs leave at


def _with_front(parts: list[Part]) -> tuple[Scene, list[Point]]:
    """Lay pieces left to right, each a run of texts followed by a drawing,
    the drawing's leg height (else its middle) on the texts' line; also
    return how far each drawing was moved."""
    out = Scene()
    cursor = 0.0
    offsets: list[Point] = []
    for texts, sc, anchor in parts:
        for t in texts:
            w = t.extent()
            width = w[1][0] - w[0][0]
            out = out + Scene(texts=(replace(t, at=(cursor, 0.0), ha="left"),))
            cursor += width + 0.25
        if sc.wires or sc.shapes or sc.texts:
            x0, y0, x1, y1 = sc.bbox()
            offsets.append((cursor - x0, -(y0 + y1) / 2 if anchor is None else -anchor))
            out = out + sc.moved(*offsets[-1])
            cursor += (x1 - x0) + 0.35
        else:
            offsets.append((0.0, 0.0))
    return out, offsets


def _coeff_texts(c: Any, first: bool) -> list[Text]:
    neg, mag = signed(c)
    texts = []
    if neg:
        texts.append(Text("sign", (0, 0), "−", "-", size=FONT_SIZE * 1.3))
    elif not first:
        texts.append(Text("sign", (0, 0), "+", "+", size=FONT_SIZE * 1.3))
    if mag != 1:
        plain, tex = coeff_text(mag)
        texts.append(Text("scalar", (0, 0), plain, tex, size=FONT_SIZE * 1.2))
    return texts


def _moved_layout(lay: Layout, off: Point) -> Layout:
    """The layout moved by `off` (as its drawing was)."""
    def mv(p: Point) -> Point:
        return (p[0] + off[0], p[1] + off[1])

    return replace(lay, nodes={v: mv(p) for v, p in lay.nodes.items()},
                   free_ends={k: mv(p) for k, p in lay.free_ends.items()})


def _leg_height(lay: Layout) -> float | None:
    """The mean height of the open legs that leave sideways: the line a sum's
    terms are put on, so that their legs (and the signs between) align."""
    ys = [lay.free_ends[k][1] for k, u in lay.free_dirs.items() if abs(u[0]) > 0.7 and k in lay.free_ends]
    return sum(ys) / len(ys) if ys else None


def _agreement(lay: Layout, names: tuple[str, ...], first: Layout) -> float:
    """How well a term's open legs point the way the same legs of the first
    term do (matched by name): the sum of the cosines."""
    where = {name: k for k, name in enumerate(first.leg_names)}
    s = 0.0
    for k, name in enumerate(names):
        j = where.get(name)
        if j is not None and k in lay.free_dirs and j in first.free_dirs:
            u, v = lay.free_dirs[k], first.free_dirs[j]
            s += u[0] * v[0] + u[1] * v[1]
    return s


def _mirrored_dirs(lay: Layout) -> Layout:
    return replace(lay, free_dirs={k: (-x, y) for k, (x, y) in lay.free_dirs.items()})


def _terms_scene(terms: list[Diagram], arts: _Arts, mirror: bool = False,
                 wrap: bool = False, follow: "Strip | None" = None,
                 names: bool = True) -> tuple[Scene, Layout | None]:
    """Terms side by side with their signs and coefficients (in several rows
    when `wrap` and there are many); also the first term's layout (where its
    legs point).  A term whose open legs point the other way from the first
    term's is drawn mirrored, and every term's sideways legs are put at one
    height, so that a leg leaves on the same side at the same height in
    every term."""
    if not terms:
        return Scene(texts=(Text("zero", (0.0, 0.0), "0", "0", size=FONT_SIZE * 1.3),)), None
    parts = []
    first = None
    for n, d in enumerate(terms):
        texts = _coeff_texts(d.scalar, first=n == 0)
        prev = None
        if follow is not None and follow.last:  # one picture followed by several terms: each follows it
            prev = follow.last[n] if n < len(follow.last) else follow.last[0] if len(follow.last) == 1 else None
        want = None if first is None else {first.leg_names[k]: u for k, u in first.free_dirs.items()}
        sc, lay = _diagram_scene(d, arts, mirror, names, previous=prev, prefer=want if prev is None else None)
        if first is not None and prev is None and \
                _agreement(_mirrored_dirs(lay), d.free, first) > _agreement(lay, d.free, first) + 1e-9:
            sc, lay = _diagram_scene(d, arts, not mirror, names, prefer=want)
        if follow is not None:
            follow.laid.append(lay)
        if len(terms) > 1:
            sc = sc.owned(f"t{n}/")
        first = first or lay
        if not (sc.wires or sc.shapes) and not texts:
            texts = [Text("scalar", (0, 0), "1", "1", size=FONT_SIZE * 1.2)]
        parts.append((texts, sc, _leg_height(lay)))
    if not wrap:
        body, offsets = _with_front(parts)
        return body, _moved_layout(first, offsets[0]) if first is not None else None
    return _wrapped(parts), first


ROW_TERMS = 3  # at most this many terms of a sum in one row of the picture
ROW_WIDTH = 22.0  # a row of terms is broken before it grows wider than this
ROW_GAP = 0.6  # vertical room between two rows of terms


def _wrapped(parts: list[Part]) -> Scene:
    """Terms in rows, like a long formula broken over lines: each row starts
    with its first term's sign, rows are left-aligned and stacked downwards.
    A long sum (the paths of an expansion) in one row would be too wide to
    read at any size."""
    rows: list[list[tuple[list[Text], Scene]]] = [[]]
    width = 0.0
    for part in parts:
        x0, _, x1, _ = _with_front([part])[0].bbox()
        w = x1 - x0
        if rows[-1] and (len(rows[-1]) >= ROW_TERMS or width + w > ROW_WIDTH):
            rows.append([])
            width = 0.0
        rows[-1].append(part)
        width += w + 0.35
    out = Scene()
    top = None
    for row in rows:
        sc = _with_front(row)[0]
        x0, y0, x1, y1 = sc.bbox()
        dy = 0.0 if top is None else top - ROW_GAP - y1
        out = out + sc.moved(-x0, dy)
        top = y0 + dy
    return out


def _backbone_scene(found: "_backbone.Stream", arts: _Arts) -> Scene:
    """The stream and its blocks drawn one by one (without leg names, which
    the backbone writes where its wires leave them), then assembled."""
    drawn = []
    for n, d in enumerate(found.levels):
        sc, lay = _diagram_scene(d, arts, names=False)
        drawn.append((sc.owned(f"t{n}/"), lay))
    return _backbone.assemble(found, drawn)


@dataclass(frozen=True)
class Arrangement:
    """A way to arrange a whole picture's terms: `find` returns what it needs
    of the sum (None when the sum does not have that shape), `auto` whether
    `draw` takes it unasked, `draw` the scene; `needs` says, for the error
    when it is asked for by name, what shape of sum it needs."""

    find: Any
    auto: Any
    draw: Any
    needs: str


# Arrangements of a picture's sum other than terms side by side, tried in
# order: a new one is one entry here (and an option name for `--arrange`).
ARRANGEMENTS: dict[str, Arrangement] = {
    "backbone": Arrangement(_backbone.residual, _backbone.wanted, _backbone_scene, _backbone.NEEDS),
}
ARRANGE_CHOICES = ("auto", "terms", *ARRANGEMENTS)


def _arranged(x: Union[Diagram, Sum], arts: _Arts, arrange: str) -> Scene | None:
    """The picture by the arrangement asked for ("auto": the first that
    applies and wants to be used unasked); None for terms side by side.  An
    arrangement asked for by name that the sum does not have is an input
    error, not a silent fallback."""
    if arrange == "terms":
        return None
    for name, kind in ARRANGEMENTS.items():
        if arrange not in ("auto", name):
            continue
        found = kind.find(as_sum(x))
        if found is not None and (arrange == name or kind.auto(found)):
            return kind.draw(found, arts)
        if arrange == name:
            raise InputError(f"cannot draw this as a {name}: {kind.needs}")
    return None


def scene(x: Union[Diagram, Sum], widths: bool = False, strip: "Strip | None" = None,
          arrange: str = "auto") -> Scene:
    """The primitives of a picture of a diagram, or of a sum side by side;
    with a `strip`, as the next picture of a rewrite (see `Strip`).
    `arrange` picks an arrangement of the sum (see `ARRANGEMENTS`): "auto"
    (the default) uses one where it applies, "terms" never, a name always.
    A strip whose last picture can be followed keeps terms side by side, so
    that places are kept; an arranged picture leaves nothing to follow, so
    the next one is arranged (or laid out) afresh; an arrangement asked for
    by name is drawn even then."""
    if arrange not in ARRANGE_CHOICES:
        raise InputError(f"unknown arrangement {arrange!r}: use one of {', '.join(ARRANGE_CHOICES)}")
    arts = _Arts(widths)
    if strip is None or not strip.last or arrange not in ("auto", "terms"):
        arranged = _arranged(x, arts, arrange)
        if arranged is not None:
            if strip is not None:
                strip.laid, strip.last = [], []
            return unique_ids(arranged)
    terms = [x] if isinstance(x, Diagram) else list(x.terms)
    if strip is not None:
        strip.laid = []
    sc = unique_ids(_terms_scene(terms, arts, wrap=True, follow=strip)[0])
    if strip is not None:
        strip.last = strip.laid
    return sc


class Strip:
    """Successive pictures of one rewrite (a proof page's steps, the REPL's
    `:draw` after each step): each picture keeps the places of the nodes that
    survive from the one before (see `layout.follow`), so that the reader
    sees what a step removed or put in instead of a new layout.  Term k of a
    sum follows term k of the previous picture."""

    def __init__(self) -> None:
        self.last: list[Layout] = []
        self.laid: list[Layout] = []

    @classmethod
    def after(cls, base: Union[Diagram, Sum, None]) -> "Strip | None":
        """A strip whose next picture follows `base` (a derivative drawn where
        the differentiated expression was: the hole keeps its place); None
        without a base."""
        if base is None:
            return None
        strip = cls()
        scene(base, strip=strip)
        return strip
