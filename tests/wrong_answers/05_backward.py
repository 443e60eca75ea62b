"Typical mistakes for the exercises of nbs/05_backward.ipynb, and what each check must say about them."
WRONG = {
    1: ('''predicted_shape = (32, 4)''', 'expected (10, 4)'),                    # the shape of out.g, not of w
    2: ('''cube_g = 3 * c**2 / c.shape[0]''', 'elements differ'),                # the mean divides by all 24 elements, not the 6 rows
    3: ('''
inp_g = torch.einsum('no,io->ni', g, w)
w_g = torch.einsum('ni,no->oi', inp, g)
b_g = torch.einsum('no->o', g)
''', 'transposed'),                                                           # w's gradient with its indices swapped
    4: ('''
h_g = o_g @ wt.T
wt_g = h.T @ o_g
''', 'elements differ'),                                                      # only the second use of wt: the gradient was overwritten, not added
    5: ('''z_g = s * s_g''', 'elements differ'),                              # only the diagonal of softmax's Jacobian
}
