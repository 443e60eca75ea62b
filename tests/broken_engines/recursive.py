"""A recursive backward without topological order: a node passes its gradient on as soon as a share arrives, and passes
the total on again with every later share (the scalar engines people copy do this). Wrong for a node used twice, and it
hits Python's recursion limit on deep graphs."""


def break_engine(engine):
    def _propagate(root, gradient):
        grads, leaf_grads = {}, {}
        def visit(node, g):
            grads[node] = g if node not in grads else grads[node] + g
            if isinstance(node, engine.Tensor):
                leaf_grads[node] = grads[node]
                return
            for inp, g_inp in zip(node.inputs, node.backward(grads[node])):
                if inp is not None and g_inp is not None: visit(inp, g_inp)
        visit(root, gradient)
        return leaf_grads
    engine._propagate = _propagate
