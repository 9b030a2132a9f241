"""Pytrees: nested tuples, lists, dicts (keys sorted) and None; other objects are leaves."""


class TreeDef:
    """The structure of a pytree: a node kind, its metadata and its children."""

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind, meta, children):
        self.kind = kind
        self.meta = meta
        self.children = children
        self.num_leaves = (1 if kind == "leaf" else
                           sum(c.num_leaves for c in children))

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.meta, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "tuple":
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children)) + "}"
        return f"{self.meta.__name__}({inner})"


LEAF = TreeDef("leaf", None, ())


def tree_flatten(tree):
    """(leaves, treedef) of a pytree.

    >>> tree_flatten({"b": 1.0, "a": (2.0, None)})
    ([(2.0,), ...])
    """
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(x, leaves):
    t = type(x)
    if t is tuple:
        return TreeDef("tuple", None, tuple(_flatten(c, leaves) for c in x))
    if t is list:
        return TreeDef("list", None, tuple(_flatten(c, leaves) for c in x))
    if t is dict:
        keys = tuple(sorted(x))
        return TreeDef("dict", keys, tuple(_flatten(x[k], leaves) for k in keys))
    if x is None:
        return TreeDef("none", None, ())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return TreeDef("namedtuple", t, tuple(_flatten(c, leaves) for c in x))
    leaves.append(x)
    return LEAF


def tree_unflatten(treedef, leaves):
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td, it):
    k = td.kind
    if k == "leaf":
        return next(it)
    if k == "none":
        return None
    kids = [_unflatten(c, it) for c in td.children]
    if k == "tuple":
        return tuple(kids)
    if k == "list":
        return kids
    if k == "dict":
        return dict(zip(td.meta, kids))
    return td.meta(*kids)


def tree_map(f, tree, *rest):
    leaves, td = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(td, [f(*xs) for xs in zip(leaves, *others)])


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def check_same_tree(where, name_a, tree_a, leaves_a, name_b, tree_b, leaves_b):
    """Raise a ValueError naming both if two trees differ in structure or leaf shapes."""
    import numpy as np
    if tree_a != tree_b:
        raise ValueError(
            f"{where}: {name_a} and {name_b} must have the same tree structure; "
            f"got {name_a} structure {tree_a} and {name_b} structure {tree_b}")
    for i, (a, b) in enumerate(zip(leaves_a, leaves_b)):
        sa, sb = np.shape(a), np.shape(b)
        if sa != sb:
            raise ValueError(
                f"{where}: {name_a} and {name_b} must have the same shapes; leaf {i} "
                f"has {name_a} shape {sa} and {name_b} shape {sb}")
