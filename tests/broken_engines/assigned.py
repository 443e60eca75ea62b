"""Gradients assigned instead of added: in topological order, but a node used twice keeps only the share of its last use."""


def break_engine(engine):
    def _propagate(root, gradient):
        grads, leaf_grads = {root: gradient}, {}
        for node in reversed(engine.topo_sort(root)):
            g = grads.pop(node, None)
            if g is None: continue
            if isinstance(node, engine.Tensor):
                leaf_grads[node] = g
                continue
            for inp, g_inp in zip(node.inputs, node.backward(g)):
                if inp is not None and g_inp is not None: grads[inp] = g_inp   # the bug: = instead of +=
        return leaf_grads
    engine._propagate = _propagate
