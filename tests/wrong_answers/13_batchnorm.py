"Typical mistakes for the Practice section of nbs/13_batchnorm.ipynb, and what each check must say about them."
WRONG = {
    # the no-grad gradient: the mean and the variance treated as constants, so the two batch terms are missing
    1: ('''def bn2d_grads(x, g, w, eps=1e-5):
    dims = (0, 2, 3)
    mu = x.mean(dims, keepdim=True)
    inv = (x.var(dims, keepdim=True, correction=0) + eps).rsqrt()
    xh = (x - mu) * inv
    return w.view(1, -1, 1, 1) * inv * g, (g * xh).sum(dims), g.sum(dims)''', 'input gradient: '),
    # the biased variance (divided by m) in the running statistics: Bessel's correction forgotten
    2: ('''v = 1.
for batch in ([1, 3], [0, 4, 8], [2, 2, 5, 7]):
    mu = sum(batch) / len(batch)
    v = 0.9 * v + 0.1 * sum((t - mu) ** 2 for t in batch) / len(batch)
predicted_var = v''', 'predicted_var is not right'),
    # a test that only looks at the running mean, which forgets_bessel gets right
    3: ('''def running_var_ok(bn):
    mine, ref = (torch.zeros(4), torch.ones(4)), (torch.zeros(4), torch.ones(4))
    xb = torch.randn(5, 4)
    bn(xb, *mine, training=True); F.batch_norm(xb, *ref, training=True)
    return torch.allclose(mine[0], ref[0])''', 'your verdicts is not right'),
    # the running mean forgotten: the shift is only the bias
    4: ('''scale = bn.weight / (bn.running_var + bn.eps).sqrt()
fused_w = conv.weight * scale.view(-1, 1, 1, 1)
fused_b = conv.bias * scale + bn.bias''', 'elements differ'),
    # one group per channel (instance norm) instead of 2 groups of 2 channels
    5: ('''rows = gx4.reshape(2, 4, -1)
group_normed = ((rows - rows.mean(-1, keepdim=True)) / (rows.var(-1, keepdim=True, correction=0) + 1e-5).sqrt()).reshape(gx4.shape)''',
        'elements differ'),
    # the normalised value alone, without the weight and the bias
    6: ('''predicted_first = -1.0''', 'predicted_first is not right'),
}
