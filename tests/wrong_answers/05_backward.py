"Typical mistakes for the exercises of nbs/05_backward.ipynb, and what each check must say about them."
WRONG = {
    1: ('''predicted_calls = 80''', 'is not right (you gave 80)'),                 # two calls per number, but not the one before the loop; the count stays hidden
    2: ('''cube_g = 3 * c**2 / c.shape[0]''', 'elements differ'),                # the mean divides by all 24 elements, not the 6 rows
    3: ('''
inp_g = torch.einsum('no,io->ni', g, w)
w_g = torch.einsum('ni,no->oi', x, g)
b_g = torch.einsum('no->o', g)
''', 'transposed'),                                                           # w's gradient with its indices swapped
    4: ('''
h_g = o_g @ wt.T
wt_g = h.T @ o_g
''', 'elements differ'),                                                      # only the second use of wt: the gradient was overwritten, not added
    5: ('''z_g = s * s_g''', 'elements differ'),                              # only the diagonal of softmax's Jacobian
    6: ('''
o_g = 2 * (o.squeeze(-1) - yb).unsqueeze(-1) / len(yb)
w3_g, b3_g, a2_g = a2.T @ o_g, o_g.sum(0), o_g @ w3.T
h2_g = a2_g
w2_g, b2_g, a1_g = a1.T @ h2_g, h2_g.sum(0), h2_g @ w2.T
h1_g = a1_g.masked_fill(h1 <= 0, 0.)
w1_g, b1_g = xb.T @ h1_g, h1_g.sum(0)
''', 'h2_g:'),                                                                # the second ReLU's mask forgotten: the first wrong gradient is named
}
