"""A dialogue as a drawable graph: nodes in reading order, layered by distance from the start.

Used by the catalogue to print a scenario as a script and to draw its graph as SVG without any
client-side library: column = breadth-first depth from the entry nodes, row = order of
discovery within the column.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.core.scenario.model import Dialogue

COLUMN_WIDTH = 170
ROW_HEIGHT = 64
NODE_WIDTH = 140
NODE_HEIGHT = 40
MARGIN = 20


@dataclass(frozen=True, slots=True)
class Box:
    """A node's place on the drawing."""

    id: str
    x: int
    y: int
    end: str | None
    entry: bool
    trap: str | None


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from one node's right side to another's left side, labelled by the action."""

    source: str
    target: str
    label: str
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything the template needs to draw the graph."""

    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int


def reading_order(dialogue: Dialogue) -> list[str]:
    """Node ids breadth-first from the entry nodes, then any unreachable ones."""
    order: list[str] = []
    queue = dialogue.entries
    while queue:
        node_id = queue.pop(0)
        if node_id in order:
            continue
        order.append(node_id)
        for choice in dialogue.nodes[node_id].choices:
            queue.extend(b.node for b in choice.goto if b.node in dialogue.nodes)
    return order + [n for n in dialogue.nodes if n not in order]


def draw(dialogue: Dialogue) -> Drawing:
    """Positions for every node and edge of the dialogue."""
    entries = set(dialogue.entries)
    depth: dict[str, int] = dict.fromkeys(entries, 0)
    for node_id in reading_order(dialogue):
        depth.setdefault(node_id, 0)
        for choice in dialogue.nodes[node_id].choices:
            for branch in choice.goto:
                depth.setdefault(branch.node, depth[node_id] + 1)
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for node_id in reading_order(dialogue):
        column = depth[node_id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        node = dialogue.nodes[node_id]
        boxes[node_id] = Box(node_id, MARGIN + column * COLUMN_WIDTH, MARGIN + row * ROW_HEIGHT,
                             node.end, node_id in entries, node.trap)
    edges = []
    for node_id, node in dialogue.nodes.items():
        source = boxes[node_id]
        for choice in node.choices:
            for branch in choice.goto:
                target = boxes.get(branch.node)
                if target is None or branch.node == node_id:
                    continue
                if target.x > source.x:  # forward: right side to left side
                    x1, x2 = source.x + NODE_WIDTH, target.x
                else:  # back or within a column: left side to right side, the arrow outside
                    x1, x2 = source.x, target.x + NODE_WIDTH
                edges.append(Edge(node_id, branch.node, choice.key, x1,
                                  source.y + NODE_HEIGHT // 2, x2,
                                  target.y + NODE_HEIGHT // 2))
    width = MARGIN * 2 + (max(depth.values(), default=0) + 1) * COLUMN_WIDTH
    height = MARGIN * 2 + max(rows.values(), default=1) * ROW_HEIGHT
    return Drawing(tuple(boxes.values()), tuple(edges), width, height)
