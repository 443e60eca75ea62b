"Typical mistakes for the Practice of 03_broadcasting: the code that replaces each solution, and what the check must say."
WRONG = {
    # the larger size instead of the size that is not 1: a 0 meeting a 1 gives 1
    1: ('''nd = max(len(sa), len(sb))
sa, sb = (1,) * (nd - len(sa)) + tuple(sa), (1,) * (nd - len(sb)) + tuple(sb)
out = []
for x, y in zip(sa, sb):
    if x != y and 1 not in (x, y): raise ValueError(f"sizes {x} and {y} do not broadcast")
    out.append(max(x, y))
return tuple(out)''', 'is (1, 3), expected (0, 3)'),
    # the row and the column swapped
    2: ('return u[None, :] * v[:, None]', 'transposed?'),
    # the result's letters in the wrong order
    3: ("return torch.einsum('ik,jk->ji', a, bt)", 'transposed?'),
    # a different letter for the batch in each input: every matrix meets the sum of all the vectors
    4: ("return torch.einsum('bnk,ck->bn', ms, vs)", 'elements differ'),
    # the 1 left in place, as if nothing were stretched
    5: ('predicted_shape = (2, 1, 7)', 'expected (2, 3, 7)'),
    # the strides of x itself: expanding a size-1 dimension makes its stride 0
    6: ('predicted_strides = (5, 5, 1)', 'expected (5, 0, 1)'),
}
