"""The diagrams as the reports tests read them: each stage's Mermaid parsed back into
nodes, edges and classes, with a structural check of every line."""

import re

from planar_cfn.reports.diagram import architecture_diagram

ID = r"[A-Za-z][A-Za-z0-9_]*"
LINE_FORMS = {
    "node": re.compile(rf'^    (?P<id>{ID})\["(?P<label>[^"]+)"\]$'),
    "external": re.compile(rf'^  (?P<id>{ID})\(\["(?P<label>[^"]+)"\]\):::external$'),
    "subgraph": re.compile(rf'^  subgraph (?P<id>{ID})\["[^"]+"\]$'),
    "end": re.compile(r"^  end$"),
    "traffic": re.compile(rf'^  (?P<source>{ID}) ==>\|"(?P<label>[^"]+)"\| (?P<target>{ID})$'),
    "reference": re.compile(rf"^  (?P<source>{ID}) -\.-> (?P<target>{ID})$"),
    "classdef": re.compile(rf"^  classDef (?P<id>{ID}) [^\n]+$"),
    "class": re.compile(rf"^  class (?P<ids>{ID}(,{ID})*) (?P<name>{ID})$"),
}
MERMAID_WORDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click"}


def parse(text):
    """Nodes (id -> label lines), edges by kind (as logical ids), and classes of a
    diagram, with a structural check of every line."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, groups, edges, classes = {}, [], {"traffic": [], "reference": []}, {}
    depth = 0
    for line in lines[1:]:
        kind, match = next(
            ((k, m) for k, f in LINE_FORMS.items() if (m := f.match(line))), (None, None)
        )
        assert kind, f"line not in the emitted grammar: {line!r}"
        if kind == "subgraph":
            assert depth == 0, "nested subgraph"
            depth += 1
            groups.append(match["id"])
        elif kind == "end":
            assert depth == 1, "end without subgraph"
            depth -= 1
        elif kind in ("node", "external"):
            assert (kind == "node") == (depth == 1), line
            assert match["id"] not in nodes, f"node {match['id']} declared twice"
            nodes[match["id"]] = match["label"].split("<br/>")
        elif kind in edges:
            edges[kind].append(
                (match["source"], match["target"], match["label"] if kind == "traffic" else None)
            )
        elif kind == "class":
            for node in match["ids"].split(","):
                classes.setdefault(node, set()).add(match["name"])
    assert depth == 0, "subgraph not closed"
    for node in [*nodes, *groups]:
        assert node.lower() not in MERMAID_WORDS, node
    assert not set(nodes) & set(groups)
    # Edges and classes name declared nodes only; translate ids to logical ids.
    logical = {node: label[0] for node, label in nodes.items()}
    for kind, found in edges.items():
        for source, target, _ in found:
            assert source in nodes, source
            assert target in nodes, target
        edges[kind] = [(logical[s], logical[t], label) for s, t, label in found]
    assert set(classes) <= set(nodes)
    return (
        {logical[n]: lines for n, lines in nodes.items()},
        edges,
        {logical[n]: c for n, c in classes.items()},
    )


def diagrams(templates):
    for stage, template in templates.items():
        yield stage, template, parse(architecture_diagram(template))
