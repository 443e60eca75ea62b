"Typical mistakes for the Practice section of nbs/10_conv_backward.ipynb, and what each check must say about them."
WRONG = {
    # averaging instead of adding up: the bias is added to every output, so its gradient is a sum
    1: ('''bias_grad = g.mean((0, 2, 3))''', 'elements differ'),
    # flattening without moving the channels last first: the shapes fit, the rows are not pixels
    2: ('''return (g.reshape(o, -1) @ x.reshape(-1, c)).reshape(o, c, 1, 1)''', 'elements differ'),
    # forgetting output_padding: the smallest input that fits, one column short
    3: ('''gx_transposed = F.conv_transpose2d(g, w, stride=2, padding=1)''', 'has shape (2, 3, 9, 7), expected (2, 3, 9, 8)'),
    # g flattened in (N, O, Ho, Wo) order: its rows are not positions
    4: ('''view = offset_view(xp, 0, 2, (2, 2), (5, 4)).reshape(-1, 3)
gw_slice = (view.t() @ g.reshape(-1, 5)).t()''', 'elements differ'),
    # unfold's layout instead of fold's output: told it is wrong and what to think about, not the answer
    5: ('''fold_shape = (2, 18, 6, 9)''', 'fold_shape is not right (you gave (2, 18, 6, 9)): how many channels'),
    # unfold's column layout (N, C*kh*kw, L) instead of one row per position
    6: ('''patch_shape = (2, 27, 20)''', 'patch_shape is not right (you gave (2, 27, 20)): count the output positions'),
    # the weight's offset read the wrong way round: (0, 1) instead of (1, 0)
    7: ('''share = torch.einsum('nohw,oc->nchw', g, w[:, :, 0, 1])''', 'share: 120 of 120 elements differ'),
    # forgetting to cut the padding off at the end
    8: ('''ho, wo = g.shape[2:]
g_padded = g.new_zeros(n, c, h + 2 * ph, wd + 2 * pw)
for da in range(w.shape[2]):
    for db in range(w.shape[3]):
        share_ab = torch.einsum('nohw,oc->nchw', g, w[:, :, da, db])
        g_padded[:, :, da:da + sh * (ho - 1) + 1:sh, db:db + sw * (wo - 1) + 1:sw] += share_ab
return g_padded''', 'has shape (2, 3, 11, 10), expected (2, 3, 9, 8)'),
}
