"Typical mistakes for the Practice of 03_broadcasting: the code that replaces each solution, and what the check must say."
WRONG = {
    # the 1 left in place, as if nothing were stretched
    1: ('predicted_shape = (2, 1, 7)', 'predicted_shape is not right (you gave (2, 1, 7)): write the two shapes'),
    # the shortcut the exercise rules out
    2: ('return torch.outer(u, v)', 'torch.outer is used: this exercise asks you to do without it'),
    # a different letter for the batch in each input: every matrix meets the sum of all the vectors
    3: ("return torch.einsum('bnk,ck->bn', ms, vs)", 'elements differ'),
    # the transpose and `@` the exercise asks to do without
    4: ('return a @ bt.T', 'the exercise asks for one torch.einsum call; yours made 0'),
    # the strides of x itself: expanding a size-1 dimension makes its stride 0
    5: ('predicted_strides = (5, 5, 1)', 'predicted_strides is not right (you gave (5, 5, 1)): expanding copies nothing'),
    # the strides of a fresh tensor of the target's shape: right for a new tensor, wrong for a view
    6: ('''expanded, step = [], 1
for size in reversed(target):
    expanded.insert(0, step)
    step *= size
return tuple(expanded)''', 'expand_strides((3,), (1,), (4, 3)) is not right (you gave (3, 1))'),
}
