"Typical mistakes for the Practice of 12_activations: each must make its exercise's check fail with the given fragment."
WRONG = {
    # the hooks are registered and recorded, but leaving the with block does not take them off
    1: ('''def __init__(self, modules):
    self.norms, self.handles = [], []
    for module in modules:
        norms = []
        self.norms.append(norms)
        record = lambda mod, grad_in, grad_out, norms=norms: norms.append(grad_out[0].norm().item())
        self.handles.append(module.register_full_backward_hook(record))

def remove(self, *exc):
    for h in self.handles: h.remove()

__enter__ = lambda self: self
__exit__ = lambda self, *exc: None''', 'were the hooks still on after the block'),
    # every block after the broken one is not finite either: the last of them is not where the trouble starts
    2: ('''with torch.no_grad(), Hooks(blocks, lambda hook, m, inp, out: setattr(hook, 'finite', bool(torch.isfinite(out).all()))) as hs:
    blocks(x)
bad = [i for i, h in enumerate(hs) if not h.finite]
return bad[-1] if bad else None''', 'is it the first block you return'),
    # the ratio without momentum, as in the lesson: the update the optimiser really makes also carries the velocity
    3: ('''lr = opt.param_groups[0]['lr']
ratios = []
for block in blocks:
    params = list(block.parameters())
    grad_sq = sum((p.grad ** 2).sum() for p in params)
    weight_sq = sum((p.detach() ** 2).sum() for p in params)
    ratios.append(lr * (grad_sq / weight_sq).sqrt())
return torch.stack(ratios)''', 'predicted_ratios: 8 of 8 elements differ'),
    # the stds end small, so the init looks too small; but they were healthy at step 0
    4: ("cause = 'initialisation too small'", 'look again at step 0'),
}
