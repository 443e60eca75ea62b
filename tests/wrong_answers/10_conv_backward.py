"Typical mistakes for the Practice section of nbs/10_conv_backward.ipynb, and what each check must say about them."
WRONG = {
    # averaging instead of adding up: the bias is added to every output, so its gradient is a sum
    1: ('''bias_grad = g.mean((0, 2, 3))''', 'elements differ'),
    # flattening without moving the channels last first: the shapes fit, the rows are not pixels
    2: ('''return (g.reshape(o, -1) @ x.reshape(-1, c)).reshape(o, c, 1, 1)''', 'elements differ'),
    # forgetting output_padding: the smallest input that fits, one row and one column short
    3: ('''input_grad = F.conv_transpose2d(g, w, stride=2, padding=1)''', 'has shape (2, 3, 7, 6), expected (2, 3, 8, 7)'),
    # g flattened in (N, O, Ho, Wo) order: its rows are not positions
    4: ('''view = offset_view(xp, 2, 1, (2, 2), (4, 4)).reshape(-1, 3)
gw_slice = (view.t() @ g.reshape(-1, 4)).t()''', 'elements differ'),
    # unfold's layout instead of fold's output
    5: ('''fold_shape = (2, 18, 6, 9)''', 'expected (2, 3, 6, 9)'),
    # unfold's column layout (N, C*kh*kw, L) instead of one row per position
    6: ('''patch_shape = (2, 18, 16)''', 'expected (32, 18)'),
}
