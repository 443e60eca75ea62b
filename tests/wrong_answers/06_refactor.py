# A typical wrong answer for each exercise of 06_refactor, and a fragment its check's message must contain.
WRONG = {
    1: ("inp.g = out.g * out", 'elements differ'),  # used the output itself as the derivative, forgot (1 - out)
    2: ("return grad_out * (inp > 0)", 'elements differ'),  # plain ReLU's gradient: the 0.1 slope is lost
    3: ("object.__setattr__(self, name, value)", 'number of parameters registered is not right (you gave 0)'),  # stored the attribute but registered nothing
    4: ("n_numbers = (10 * 20 + 20) + 2 * (20 * 20 + 20)", 'is not right (you gave 1060)'),  # counted the shared module twice; the count stays hidden
    5: ("predicted_grad = (2., 4., 6.)", 'is not right (you gave (2.0, 4.0, 6.0))'),  # as if the second pass overwrote .grad
    6: ('''
@staticmethod
def forward(ctx, x, w, b):
    ctx.save_for_backward(x, w)
    return x @ w + b

@staticmethod
def backward(ctx, out_g):
    x, w = ctx.saved_tensors
    return out_g @ w.T, x.T @ out_g, out_g.mean(0)
''', 'b.grad'),  # a mean over the samples for the bias, where the bias was added to every sample: the sum
}
