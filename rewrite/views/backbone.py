"""The residual stream drawn as a backbone, as the seed draws a transformer.

A residual network is a sum `x + h1(x) + h2(x + h1(x)) + ...`: one term is
the stream (the embedding `x`), and every other term is a block (an attention
head, an MLP) that reads pasted copies of the stream and adds its output back.
Side by side these terms hide that structure.  The seed's pictures draw the
stream as one vertical line, the "backbone": the embedding on top, a blue +
on the line for every block in layer order, each block to the right of its +
with its open legs wired into it, and the sum's open legs leaving the last +.
Between two + nodes the line carries all the stream's legs at once, so it is
drawn thick, as a fused leg is.

`residual` finds the structure in a sum (the stream is its smallest term; a
parenthesised stream, the `r` of `r + h2(r)`, is opened so that its blocks
join the same stream, in order); `wanted` says whether `draw` uses it on its
own (see its docstring); `assemble` places the pictures of the terms.

The placement is stacking boxes along a line whose order the sum fixes, and
routing each block's far legs around the block back to its +.  A layered
(Sugiyama) layout would reorder the levels and knows nothing of legs that
must reach one point from both ends of a row, so this is hand-written: a few
lines of arithmetic on bounding boxes, with the blocks themselves laid out by
`layout` like any other diagram.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from ..core.diagram import BOUNDARY, BubbleNode, Diagram, Sum, nested_sums
from .labels import anonymous, coeff_text, signed, tex_name
from .layout import Layout, Point, reach
from .primitives import BASE_WIDTH, FONT_SIZE, Scene, Shape, Text, Wire

PLUS_R = 0.22  # radius of a + node on the stream
BLOCK_X = 1.2  # from the stream to the left edge of a block
LEVEL_GAP = 0.55  # vertical room between the lowest lane of a block and the next block
TURN = 0.5  # how far a block's far leg runs on past the block before it turns back
LANE = 0.28  # distance between the lanes of legs routed around one block
DROP = 1.3  # from the embedding's lowest point down to the first +
OUT = 1.1  # length of the sum's open legs below the last +


NEEDS = ("it needs a residual stream - a term without functions (the stream, say x) and "
         "other terms (the blocks) that each hold a copy of every tensor of the stream and more")


@dataclass(frozen=True)
class Stream:
    """A residual sum: `levels[0]` is the stream, the rest are the blocks in
    layer order, every one a diagram with the sum's free legs in its order."""

    levels: tuple[Diagram, ...]
    free: tuple[str, ...]


def _opened(d: Diagram, free: tuple[str, ...]) -> list[Diagram] | None:
    """The terms of a parenthesised sum that is the whole of d (a bare `(x +
    h1)` or a kept let `r` inlined), renamed to d's legs; None otherwise."""
    if len(d.nodes) != 1 or d.scalar != 1:
        return None
    (v, node), = d.nodes.items()
    if not (isinstance(node, BubbleNode) and node.fn == "sum" and not node.conj):
        return None
    outer = []
    for i in range(node.arity):
        w, j = d.link[(v, i)]
        if w != BOUNDARY:
            return None
        outer.append(d.free[j])
    return [t.renamed(outer).with_free(list(free)) for t in node.inside.aligned_terms()]


def _names(d: Diagram) -> Counter:
    """Every tensor a diagram holds, inside its bubbles too, by title."""
    out: Counter = Counter()
    for s in nested_sums(d):
        for t in s.terms:
            out.update(n.title for n in t.nodes.values() if not isinstance(n, BubbleNode))
    return out


def _wires_to_free_only(d: Diagram) -> bool:
    return not any(p[0] == BOUNDARY and q[0] == BOUNDARY for p, q in d.link.items())


def residual(x: Sum) -> Stream | None:
    """The stream and its blocks, when x has that shape: at least two terms;
    one, the stream (a parenthesised sum there is opened, its terms taking
    its place: `r + h2(r)` with `r = x + h1`), holds no function and has
    coefficient 1; every other term holds a copy of each tensor of the stream
    and more besides (a block reads the stream and does something with it).
    The stream is the smallest term (it may be written anywhere in the sum);
    the blocks keep their written order.  A term that is only the stream
    again (`A[i, j] + A[j, i]`) is not a block."""
    free = tuple(x.free)
    terms = list(x.aligned_terms())
    if len(terms) < 2 or not free:
        return None
    counts = [_names(t) for t in terms]
    least = min(sum(c.values()) for c in counts)
    for i, c in enumerate(counts):
        if sum(c.values()) == least:
            found = _stream_first([terms[i]] + terms[:i] + terms[i + 1:], free)
            if found is not None:
                return found
    return None


def _stream_first(terms: list[Diagram], free: tuple[str, ...]) -> Stream | None:
    """`residual` for a given stream, the first of `terms`."""
    opened = _opened(terms[0], free)
    while opened is not None:
        terms = opened + terms[1:]
        opened = _opened(terms[0], free)
    stream = terms[0]
    if stream.scalar != 1 or not stream.nodes or any(isinstance(n, BubbleNode) for n in stream.nodes.values()):
        return None
    if not all(_wires_to_free_only(t) for t in terms):
        return None
    need = _names(stream)
    for t in terms[1:]:
        have = _names(t)
        if any(have[k] < 1 for k in need) or sum(have.values()) <= sum(need.values()):
            return None
    return Stream(tuple(terms), free)


def wanted(s: Stream) -> bool:
    """Whether `draw` draws the stream as a backbone without being asked: when
    it is a network of blocks, that is, some block applies a nonlinearity
    (attention, an MLP) or there are two blocks or more.  A single linear
    term added to a tensor (`A + A B`) is a sum like any other, drawn in a
    row; `rewrite draw --arrange backbone` draws it as a backbone all the same."""
    blocks = s.levels[1:]
    return len(blocks) >= 2 or any(isinstance(n, BubbleNode) for t in blocks for n in t.nodes.values())


# ---------------------------------------------------------------- the picture


def _legs(sc: Scene, prefix: str, n: int) -> tuple[Scene, dict[int, Point]]:
    """The scene without its open legs' wires, and where each leg left its
    node (the wire's first point): the backbone draws its own wires from there."""
    starts: dict[int, Point] = {}
    keep = []
    for w in sc.wires:
        k = next((k for k in range(n) if w.ends[1] == f"{prefix}free:{k}"), None)
        if k is None:
            keep.append(w)
        else:
            starts[k] = w.points[0]
    return replace(sc, wires=tuple(keep)), starts


def _curve(a: Point, ua: Point, b: Point, ub: Point, reach: float) -> tuple[Point, ...]:
    """A cubic from a leaving along ua to b arriving from the direction ub
    (the unit vector from b back along the curve)."""
    return (a, (a[0] + reach * ua[0], a[1] + reach * ua[1]), (b[0] + reach * ub[0], b[1] + reach * ub[1]), b)


def _plus(i: int, at: Point, coeff) -> Scene:
    """The + node of block i (a − for a block subtracted), its coefficient's
    size written beside it."""
    neg, mag = signed(coeff)
    node = f"plus{i}"
    sign = "−" if neg else "+"
    texts = [Text(f"label-{sign}", at, sign, "-" if neg else "+", size=FONT_SIZE * 0.95, node=node)]
    if mag != 1:
        plain, tex = coeff_text(mag)
        texts.append(Text("scalar", (at[0] + PLUS_R + 0.08, at[1] + PLUS_R + 0.04), plain, tex,
                          ha="left", va="bottom", size=FONT_SIZE, node=node))
    return Scene(shapes=(Shape("stream-plus", "circle", at, "stream", radius=PLUS_R, node=node),), texts=tuple(texts))


def _leg_name(body: Scene, name: str, k: int, start: Point, u: Point, prefix: str, owner: str) -> tuple[Text, ...]:
    """A block's leg named beside the wire just where it leaves its node
    (over a sideways leg, right of an upright one), so that the wire running
    on to the + never runs through the name."""
    if anonymous(name):
        return ()
    for sh in body.shapes:  # from the outline of the node, not its centre
        if sh.node == owner:
            xs, ys = [p[0] for p in sh.extent()], [p[1] for p in sh.extent()]
            half = ((max(xs) - min(xs)) / 2, (max(ys) - min(ys)) / 2)
            c = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
            t = max(0.0, reach(half, u) - ((start[0] - c[0]) * u[0] + (start[1] - c[1]) * u[1]))
            start = (start[0] + t * u[0], start[1] + t * u[1])
            break
    if abs(u[0]) >= abs(u[1]):
        at, ha, va = (start[0] + 0.1 * math.copysign(1.0, u[0]), start[1] + 0.06), \
            "left" if u[0] > 0 else "right", "bottom"
    else:
        at, ha, va = (start[0] + 0.08, start[1] + 0.22 * math.copysign(1.0, u[1])), "left", "center"
    return (Text(f"name-{name}", at, name, tex_name(name), ha=ha, va=va, size=FONT_SIZE * 0.8,
                 node=f"{prefix}free:{k}"),)


def _top(sc: Scene, lay: Layout, stream: Stream, above: float) -> tuple[Scene, Point]:
    """The stream's own picture on top, its legs curving down into the first
    + from either side in the order they leave (left ones from the left);
    the + low enough that the first block (reaching `above` over its legs)
    stays clear of the picture.  Returns the scene and where the + is."""
    body, starts = _legs(sc, "t0/", len(stream.free))
    x0, y0, x1, y1 = body.bbox()
    cx = (x0 + x1) / 2
    body = body.moved(-cx, 0.0)
    starts = {k: (p[0] - cx, p[1]) for k, p in starts.items()}
    plus = (0.0, min(y0 - DROP - 0.12 * (x1 - x0), y0 - LEVEL_GAP - above))
    order = sorted(starts, key=lambda k: (starts[k][0] + 0.01 * lay.free_dirs.get(k, (0.0, 0.0))[0], k))
    wires, names = [], []
    m = len(order)
    for j, k in enumerate(order):
        a = starts[k]
        u = _downward(lay.free_dirs.get(k, (0.0, -1.0)))
        angle = math.pi / 2 + (0.0 if m == 1 else math.radians(50) * ((m - 1) / 2 - j) / ((m - 1) / 2))
        arrive = (math.cos(angle), math.sin(angle))
        reach = max(0.6, 0.45 * abs(plus[1] - a[1]))
        wires.append(Wire(f"leg-{stream.free[k]}", _curve(a, u, plus, arrive, reach), BASE_WIDTH,
                          (_owner_of(sc, k, "t0/"), "plus1")))
        names += _leg_name(body, stream.free[k], k, a, u, "t0/", _owner_of(sc, k, "t0/"))
    return body + Scene(wires=tuple(wires), texts=tuple(names)), plus


def _downward(u: Point) -> Point:
    """A stream leg's way out of its node toward the + below: as the layout
    has it, but never upward (a leg drawn up would loop back over its node)."""
    v = (u[0], min(u[1], 0.0))
    n = math.hypot(*v)
    return (v[0] / n, v[1] / n) if n > 0.3 else (0.0, -1.0)


def _owner_of(sc: Scene, k: int, prefix: str) -> str:
    for w in sc.wires:
        if w.ends[1] == f"{prefix}free:{k}":
            return w.ends[0]
    return prefix.rstrip("/")


def _rounded(pts: list[Point], owner: str, node: str, name: str) -> list[Wire]:
    """A polyline as wires: straight runs joined by rounded corners (each a
    short cubic), so that a routed leg reads as one smooth line."""
    out: list[Wire] = []
    cur = pts[0]
    for j in range(1, len(pts) - 1):
        p, q, r = pts[j - 1], pts[j], pts[j + 1]
        rad = min(0.15, math.dist(p, q) / 2, math.dist(q, r) / 2)
        if rad < 1e-6:
            continue
        a = (q[0] + rad * (p[0] - q[0]) / math.dist(p, q), q[1] + rad * (p[1] - q[1]) / math.dist(p, q))
        b = (q[0] + rad * (r[0] - q[0]) / math.dist(q, r), q[1] + rad * (r[1] - q[1]) / math.dist(q, r))
        if math.dist(cur, a) > 1e-6:
            out.append(Wire(f"leg-{name}", (cur, a), BASE_WIDTH, (owner, node)))
        out.append(Wire(f"leg-{name}", (a, q, q, b), BASE_WIDTH, (owner, node)))
        cur = b
    out.append(Wire(f"leg-{name}", (cur, pts[-1]), BASE_WIDTH, (owner, node)))
    return out


def _clear_left(body: Scene, a: Point, owner: str) -> bool:
    """Whether nothing of the block but the leg's own node lies left of a at
    its height: then the leg can run straight to the +."""
    for sh in body.shapes:
        if sh.node == owner or sh.node.startswith(owner + "/"):
            continue
        ys = [p[1] for p in sh.extent()]
        xs = [p[0] for p in sh.extent()]
        if min(xs) < a[0] - 1e-6 and min(ys) - 0.1 <= a[1] <= max(ys) + 0.1:
            return False
    return True


def _around(u: Point) -> str:
    """Which way a routed leg leaves the block: over the top, out of the
    right side, or under the bottom."""
    if u[0] > 0.7:
        return "right"
    return "down" if u[1] < -0.7 else "up"


def _block(sc: Scene, lay: Layout, i: int, stream: Stream) -> tuple[Scene, float]:
    """Block i to the right of its + (at the origin), its sideways legs at
    the +'s height.  Legs leaving the block's left edge run straight into the
    +.  The others are routed clockwise around the block - over the top,
    down its right side, back under it - and rise into the + from the lower
    right, each in a lane of its own: the leg met first going clockwise from
    the + takes the outermost lane, so that no two lanes cross.  Returns the
    scene and its lowest point."""
    prefix = f"t{i}/"
    n = len(stream.free)
    body, starts = _legs(sc, prefix, n)
    x0, y0, x1, y1 = body.bbox()
    ys = [starts[k][1] for k, u in lay.free_dirs.items() if k in starts and abs(u[0]) > 0.7]
    anchor = sum(ys) / len(ys) if ys else (y0 + y1) / 2
    dx, dy = BLOCK_X - x0, -anchor
    body = body.moved(dx, dy)
    x0, y0, x1, y1 = x0 + dx, y0 + dy, x1 + dx, y1 + dy
    starts = {k: (p[0] + dx, p[1] + dy) for k, p in starts.items()}
    plus = (0.0, 0.0)
    node = f"plus{i}"
    dirs = {k: lay.free_dirs.get(k, (1.0, 0.0)) for k in starts}
    left = [k for k in sorted(starts) if dirs[k][0] < -0.7 and _clear_left(body, starts[k], _owner_of(sc, k, prefix))]
    rank = {"up": 0, "right": 1, "down": 2}
    clockwise = {"up": lambda p: p[0], "right": lambda p: -p[1], "down": lambda p: -p[0]}
    far = sorted((k for k in starts if k not in left),
                 key=lambda k: (rank[_around(dirs[k])], clockwise[_around(dirs[k])](starts[k]), k))
    wires: list[Wire] = []
    names: list[Text] = []
    for k in left:
        a = starts[k]
        wires.append(Wire(f"leg-{stream.free[k]}", (a, plus), BASE_WIDTH, (_owner_of(sc, k, prefix), node)))
        names += _leg_name(body, stream.free[k], k, a, (-1.0, 0.0), prefix, _owner_of(sc, k, prefix))
    lanes = len(far)
    for j, k in enumerate(far):  # j = 0: the outermost lane
        a, u, way = starts[k], dirs[k], _around(dirs[k])
        out = lanes - j  # 1 for the innermost lane
        top = y1 + TURN * 0.6 + LANE * (out - 1)
        side = x1 + TURN * 0.6 + LANE * (out - 1)
        low = y0 - LANE * out
        up_x = 0.35 + 0.8 * LANE * j
        if way == "up":
            pts = [a, (a[0], top), (side, top), (side, low)]
        elif way == "right":
            pts = [a, (side, a[1]), (side, low)]
        else:
            pts = [a, (a[0], low)]
        pts.append((up_x + 0.35, low))
        wires += _rounded(pts, _owner_of(sc, k, prefix), node, stream.free[k])
        wires.append(Wire(f"leg-{stream.free[k]}", _curve(pts[-1], (-1.0, 0.0), plus, (0.5, -0.5), 0.25),
                          BASE_WIDTH, (_owner_of(sc, k, prefix), node)))
        names += _leg_name(body, stream.free[k], k, a, u, prefix, _owner_of(sc, k, prefix))
    low_end = min([y0] + [y0 - LANE * (lanes - j) for j in range(lanes)])
    return body + Scene(wires=tuple(wires), texts=tuple(names)) + _plus(i, plus, stream.levels[i].scalar), low_end


def assemble(stream: Stream, drawn: list[tuple[Scene, Layout]]) -> Scene:
    """The backbone picture from the pictures of the stream and its blocks
    (term i owned as "t{i}/", drawn without leg names): see the module
    docstring.  The sum's open legs fan out below the last +, named there."""
    blocks = [_block(sc, lay, i, stream) for i, (sc, lay) in enumerate(drawn) if i > 0]
    out, plus = _top(*drawn[0], stream, blocks[0][0].bbox()[3])
    y, low = plus[1], 0.0
    for i, (block, bottom) in enumerate(blocks, start=1):
        if i > 1:
            last = y
            y = low - LEVEL_GAP - block.bbox()[3]
            out = out + Scene(wires=(Wire("stream", ((0.0, last), (0.0, y)), 2 * BASE_WIDTH,
                                          (f"plus{i - 1}", f"plus{i}")),))
        out = out + block.moved(0.0, y)
        low = bottom + y
    return out + _outputs(stream, (0.0, y), len(blocks))


def _outputs(stream: Stream, plus: Point, i: int) -> Scene:
    """The sum's open legs below the last +, in their order from the lower
    left to straight down: the last block's far legs come back into the +
    from the lower right, so the legs leave on the other side."""
    m = len(stream.free)
    wires, texts = [], []
    for k, name in enumerate(stream.free):
        end = (plus[0] - 0.8 * (m - 1 - k), plus[1] - OUT)
        wires.append(Wire(f"leg-{name}", (plus, end), BASE_WIDTH, (f"plus{i}", f"free:{k}")))
        if not anonymous(name):
            texts.append(Text(f"name-{name}", (end[0], end[1] - 0.1), name, tex_name(name), va="top",
                              size=FONT_SIZE * 0.9, node=f"free:{k}"))
    return Scene(wires=tuple(wires), texts=tuple(texts))
